// DingTalk's in-app browser ("container"), emulated for a page under test as far as the real
// `dingtalk-jsapi` package (3.x) needs it. A test injects this before the page's own scripts, as
// the DingTalk app injects its native bridge into every page it opens; the fake DingTalk that
// serves this file plays the native side: it answers each call at POST /_fake/container/invoke.
//
// The bridges, as dingtalk-jsapi's lib/bridge/*.js call them (read from the package's source):
// * Android (h5Android.js): `window.nuva`, ready unless `isReady` is false; `nuva.require()`
//   returns exec(success, fail, service, action, params), the API being `service.action`.
// * iOS (h5Ios.js): `window.WebViewJavascriptBridge` with init(handler), registerHandler and
//   callHandler(api, params, callback); callback({errorCode: "0", result}) on success, else
//   callback({errorCode, errorMessage}); errorCode "-1" is a cancel.
// * Harmony (h5Harmony.js): `window.DingTalkJSBridge` with init(handler) and
//   call(api, params, callback); callback({success, body}).
// dingtalk-jsapi picks the platform from the user agent (lib/env.js): iPhone|iPad|iPod|iOS, then
// Android, then OpenHarmony + ArkWeb, each with "DingTalk"; this file installs the same one.
// PC DingTalk's frame bridge is not emulated.
(function () {
  "use strict";
  var FAKE = "__FAKE_ORIGIN__";
  var ua = navigator.userAgent;
  if (!/DingTalk/i.test(ua)) return;
  var harmony = /OpenHarmony/i.test(ua) && /ArkWeb/i.test(ua);
  var platform = /iPhone|iPad|iPod|iOS/i.test(ua) ? "ios"
    : /Android/i.test(ua) && !harmony ? "android"
    : harmony ? "harmony" : null;
  if (!platform) return;

  // Resolves to {ok: true, result} or {ok: false, error: {errorCode, errorMessage}}.
  function invoke(api, params) {
    // No content type: a simple cross-origin request (no preflight); the fake reads the JSON.
    return fetch(FAKE + "/_fake/container/invoke", {
      method: "POST",
      body: JSON.stringify({platform: platform, api: api, params: params || {}}),
    }).then(function (r) { return r.json(); }).catch(function (e) {
      return {ok: false, error: {errorCode: "emulation", errorMessage: "the fake did not answer: " + e}};
    });
  }

  if (platform === "android") {
    window.nuva = {
      isReady: true,
      require: function () {
        return function (success, fail, service, action, params) {
          invoke(service + "." + action, params).then(function (a) {
            if (a.ok) { success(a.result); } else { fail(a.error); }
          });
        };
      },
    };
  } else if (platform === "ios") {
    window.WebViewJavascriptBridge = {
      init: function () {},
      registerHandler: function () {},
      callHandler: function (api, params, callback) {
        invoke(api, params).then(function (a) {
          callback(a.ok ? {errorCode: "0", result: a.result} : a.error);
        });
      },
    };
  } else {
    window.DingTalkJSBridge = {
      init: function () {},
      call: function (api, params, callback) {
        invoke(api, params).then(function (a) {
          callback(a.ok ? {success: true, body: a.result} : {success: false, body: a.error});
        });
      },
    };
  }
})();
