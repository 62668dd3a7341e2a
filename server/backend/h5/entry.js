// The part of dingtalk-jsapi the workbench page uses, imported the way the package's README
// recommends (按需引入): the runtime for every platform (entry/union: Android, iOS, Harmony, PC)
// and the one API, `dd.requestAuthCode({corpId, clientId})`
// (https://open.dingtalk.com/document/orgapp/obtain-the-userid-of-a-user-by-using-the-log-free).
// The bundle sets `window.dd`, as DingTalk's CDN build does.
import dd from "dingtalk-jsapi/entry/union";
import requestAuthCode from "dingtalk-jsapi/api/union/requestAuthCode";

window.dd = Object.assign({}, dd, { requestAuthCode });
