//! DingTalk's in-app browser (the "container") for pages under test: the native side of the JSAPI
//! bridge that the real `dingtalk-jsapi` package calls.
//!
//! * `GET /_fake/container.js`: `container.js`, the bridge objects the DingTalk app injects into a
//!   page (`window.nuva` on Android, `WebViewJavascriptBridge` on iOS, `DingTalkJSBridge` on
//!   Harmony, shaped as dingtalk-jsapi's `lib/bridge/*.js` calls them). Nothing serves it to a page:
//!   a test injects it before the page's scripts (scripts/lib/chromium_page.py).
//! * `POST /_fake/container/invoke {"platform","api","params"}` (CORS-open; the page is on the
//!   backend's origin): what the app does for one JSAPI call. `runtime.permission.requestAuthCodeV2`
//!   (`dd.requestAuthCode({corpId, clientId})`) and `runtime.permission.requestAuthCode`
//!   (`dd.runtime.permission.requestAuthCode({corpId})`) hand out a free-login code of the signed-in
//!   member, the same codes `topapi/v2/user/getuserinfo` accepts (5 minutes, once); any other API is
//!   refused as not existing.
//! * `POST /_fake/container {"authCode": "issue"|"cancel"|"expired"|"reused", "userid"?}`: how the
//!   next calls answer, and who is signed in (default: the organisation's first member).
//! * `GET /_fake/container/calls`: every call so far (platform, api, corpId, clientId, answer), so a
//!   test can prove the code came through the bridge and not from a stand-in.
//!
//! DingTalk documents the free-login call and its code
//! (https://open.dingtalk.com/document/orgapp/obtain-the-userid-of-a-user-by-using-the-log-free) but
//! not the container's error answers: errorCode "-1" (cancel) and "1" (no such API) are the codes
//! dingtalk-jsapi itself names (`ERROR_CODE` in its `lib/sdk/sdkLib.js`); the messages, and "3" for
//! a corpId or clientId the container refuses, are assumed.

use std::sync::Mutex;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{json_response, FakeDingTalk};

const CONTAINER_JS: &str = include_str!("container.js");

/// How the container answers a request for a free-login code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ContainerAuthCode {
    /// A fresh code for the signed-in member.
    #[default]
    Issue,
    /// The user cancelled: errorCode "-1".
    Cancel,
    /// A code issued more than its lifetime ago (the page held it too long).
    Expired,
    /// The last code the container handed out, again.
    Reused,
}

/// One JSAPI call the container received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerCall {
    /// `android`, `ios` or `harmony`: whose bridge the page called.
    pub platform: String,
    /// The JSAPI name, e.g. `runtime.permission.requestAuthCodeV2`.
    pub api: String,
    /// The call's `corpId`, if any.
    pub corp_id: Option<String>,
    /// The call's `clientId`, if any.
    pub client_id: Option<String>,
    /// `code` when a code was handed out, else the errorCode.
    pub answer: String,
}

#[derive(Default)]
pub(super) struct ContainerState {
    auth_code: ContainerAuthCode,
    userid: Option<String>,
    last_code: Option<String>,
    calls: Vec<ContainerCall>,
}

pub(super) type SharedContainer = Mutex<ContainerState>;

impl FakeDingTalk {
    /// Sets how the container answers the next free-login code requests, and who is signed in
    /// (`None`: the organisation's first member).
    pub fn set_container(&self, auth_code: ContainerAuthCode, userid: Option<String>) {
        let mut c = self.inner.container.lock().expect("container lock");
        c.auth_code = auth_code;
        c.userid = userid;
    }

    /// The JSAPI calls the container received so far.
    pub fn container_calls(&self) -> Vec<ContainerCall> {
        self.inner
            .container
            .lock()
            .expect("container lock")
            .calls
            .clone()
    }

    /// One JSAPI call: `Ok(result)` or `Err((errorCode, errorMessage))`.
    fn container_invoke(
        &self,
        platform: &str,
        api: &str,
        params: &serde_json::Value,
    ) -> Result<serde_json::Value, (&'static str, String)> {
        let param = |k: &str| params.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let (corp_id, client_id) = (param("corpId"), param("clientId"));
        let answer = self.auth_code_answer(api, corp_id.as_deref(), client_id.as_deref());
        self.inner
            .container
            .lock()
            .expect("container lock")
            .calls
            .push(ContainerCall {
                platform: platform.to_owned(),
                api: api.to_owned(),
                corp_id,
                client_id,
                answer: match &answer {
                    Ok(_) => "code".to_owned(),
                    Err((c, _)) => (*c).to_owned(),
                },
            });
        answer
    }

    fn auth_code_answer(
        &self,
        api: &str,
        corp_id: Option<&str>,
        client_id: Option<&str>,
    ) -> Result<serde_json::Value, (&'static str, String)> {
        let needs_client = match api {
            "runtime.permission.requestAuthCodeV2" => true,
            "runtime.permission.requestAuthCode" => false,
            _ => return Err(("1", format!("jsapi {api} does not exist"))),
        };
        let org = self.org();
        let known_client = |id: &str| self.inner.config.clients.iter().any(|(k, _)| k == id);
        if corp_id != Some(org.corp_id.as_str())
            || (needs_client && !client_id.is_some_and(known_client))
        {
            return Err(("3", "corpId or clientId not valid".into()));
        }
        let mut c = self.inner.container.lock().expect("container lock");
        let Some(userid) = c
            .userid
            .clone()
            .or_else(|| org.members.first().map(|m| m.userid.clone()))
        else {
            return Err((
                "3",
                "nobody is signed in: the organisation has no member".into(),
            ));
        };
        let code = match c.auth_code {
            ContainerAuthCode::Cancel => return Err(("-1", "用户取消".into())),
            ContainerAuthCode::Issue => self.mint_free_login_code(&userid),
            ContainerAuthCode::Expired => {
                self.mint_free_login_code_expiring(&userid, self.now_ms() - 1)
            }
            ContainerAuthCode::Reused => match &c.last_code {
                Some(code) => code.clone(),
                None => return Err(("3", "no code was handed out before".into())),
            },
        };
        c.last_code = Some(code.clone());
        Ok(serde_json::json!({"code": code}))
    }
}

/// `GET /_fake/container.js`, pointed at this fake's origin.
pub(super) async fn container_js(headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let js = CONTAINER_JS.replace("__FAKE_ORIGIN__", &format!("http://{host}"));
    let mut r = (StatusCode::OK, js).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    r
}

/// `POST /_fake/container/invoke` (a text/plain body holding JSON: a simple cross-origin request).
pub(super) async fn invoke_http(State(fake): State<FakeDingTalk>, body: String) -> Response {
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default();
    let params = v.get("params").cloned().unwrap_or_default();
    let answer = match fake.container_invoke(s("platform"), s("api"), &params) {
        Ok(result) => serde_json::json!({"ok": true, "result": result}),
        Err((code, message)) => {
            serde_json::json!({"ok": false, "error": {"errorCode": code, "errorMessage": message}})
        }
    };
    let mut r = json_response(StatusCode::OK, answer);
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ContainerRequest {
    auth_code: ContainerAuthCode,
    userid: Option<String>,
}

/// `POST /_fake/container {"authCode","userid"?}`.
pub(super) async fn set_container_http(
    State(fake): State<FakeDingTalk>,
    Json(r): Json<ContainerRequest>,
) -> StatusCode {
    fake.set_container(r.auth_code, r.userid);
    StatusCode::NO_CONTENT
}

/// `GET /_fake/container/calls`.
pub(super) async fn calls_http(State(fake): State<FakeDingTalk>) -> Json<Vec<ContainerCall>> {
    Json(fake.container_calls())
}
