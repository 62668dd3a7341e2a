//! The `login` host: `GET /oauth2/auth` (checks, then a consent page or an immediate redirect) and the
//! consent page's `POST /oauth2/auth/decision`.

use std::sync::atomic::Ordering;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use dingtalk_auth::wire::{scope_fits_flow, MAX_STATE_LEN};
use dingtalk_auth::LoginFlow;

use super::faults::fault_response;
use super::{BrowserMode, FakeDingTalk, FakeUser, FaultEndpoint, MintRequest, UserPatch};

#[derive(Deserialize)]
pub(super) struct AuthParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    prompt: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct DecisionForm {
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    decision: String,
}

fn error_page(msg: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>登录错误</title></head><body><h1>登录错误</h1><p id=\"error\">{}</p></body></html>",
            html_escape(msg)
        )),
    )
        .into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Checks client and redirect URI (errors are shown on a page, never sent to an unchecked URI).
fn check_client_redirect(
    fake: &FakeDingTalk,
    client_id: &str,
    redirect_uri: &str,
) -> Result<url::Url, String> {
    let cfg = &fake.inner.config;
    if !cfg.clients.iter().any(|(k, _)| k == client_id) {
        return Err("client_id 无效 (unknown client_id)".into());
    }
    let url = url::Url::parse(redirect_uri)
        .map_err(|_| "redirect_uri 无效 (not an absolute URL)".to_owned())?;
    if !cfg.redirect_uri_prefixes.is_empty()
        && !cfg
            .redirect_uri_prefixes
            .iter()
            .any(|p| redirect_uri.starts_with(p.as_str()))
    {
        return Err("redirect_uri 与应用配置的回调域名不一致 (redirect_uri not registered)".into());
    }
    Ok(url)
}

fn redirect(mut to: url::Url, pairs: &[(&str, &str)]) -> Response {
    {
        let mut q = to.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    let mut r = StatusCode::FOUND.into_response();
    r.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(to.as_str()).expect("a URL is a valid header value"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn finish_browser(
    fake: &FakeDingTalk,
    to: url::Url,
    client_id: &str,
    scope: &str,
    state: Option<&str>,
    approve: bool,
    user: FakeUser,
) -> Response {
    let state = state.unwrap_or("");
    if !approve {
        return redirect(to, &[("error", "access_denied"), ("state", state)]);
    }
    let patch = UserPatch {
        nick: Some(user.nick),
        union_id: Some(user.union_id),
        open_id: Some(user.open_id),
        avatar_url: user.avatar_url,
        corp_id: user.corp_id,
        mobile: user.mobile,
        email: user.email,
    };
    match fake.mint(MintRequest {
        flow: LoginFlow::Browser,
        client_id: Some(client_id.to_owned()),
        scope: Some(scope.to_owned()),
        user: Some(patch),
    }) {
        Ok(code) => redirect(to, &[("authCode", &code), ("state", state)]),
        Err(e) => error_page(&e),
    }
}

pub(super) async fn authorize(
    State(fake): State<FakeDingTalk>,
    Query(p): Query<AuthParams>,
) -> Response {
    fake.inner.n_authorize.fetch_add(1, Ordering::Relaxed);
    if let Some(f) = fake.fault(FaultEndpoint::Authorize).await {
        return fault_response(f, FaultEndpoint::Authorize);
    }
    let client_id = p.client_id.unwrap_or_default();
    let Some(redirect_uri) = p.redirect_uri.filter(|r| !r.is_empty()) else {
        return error_page("缺少参数 redirect_uri");
    };
    let to = match check_client_redirect(&fake, &client_id, &redirect_uri) {
        Ok(u) => u,
        Err(e) => return error_page(&e),
    };
    if p.response_type.as_deref() != Some("code") {
        return error_page("response_type 必须为 code");
    }
    if p.prompt.as_deref() != Some("consent") {
        return error_page("prompt 必须为 consent");
    }
    let scope = p.scope.unwrap_or_default();
    if !scope_fits_flow(LoginFlow::Browser, &scope) {
        return error_page("scope 必须为 openid 或 openid corpid");
    }
    // DingTalk documents no limit (assumed): the fake refuses what the core could not take back.
    if p.state.as_deref().is_some_and(|s| s.len() > MAX_STATE_LEN) {
        return error_page("state 过长");
    }
    let (mode, user) = fake.inner.browser.lock().expect("browser lock").clone();
    match mode {
        BrowserMode::Approve => finish_browser(
            &fake,
            to,
            &client_id,
            &scope,
            p.state.as_deref(),
            true,
            user,
        ),
        BrowserMode::Deny => finish_browser(
            &fake,
            to,
            &client_id,
            &scope,
            p.state.as_deref(),
            false,
            user,
        ),
        BrowserMode::Page => {
            let hidden = |n: &str, v: &str| {
                format!(
                    "<input type=\"hidden\" name=\"{n}\" value=\"{}\">",
                    html_escape(v)
                )
            };
            let fields = [
                hidden("client_id", &client_id),
                hidden("redirect_uri", &redirect_uri),
                hidden("scope", &scope),
                p.state
                    .as_deref()
                    .map(|s| hidden("state", s))
                    .unwrap_or_default(),
            ]
            .concat();
            Html(format!(
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>钉钉登录 (fake)</title></head><body>\
<h1>授权登录 (fake DingTalk)</h1><p>登录身份: <span id=\"nick\">{nick}</span></p>\
<form method=\"post\" action=\"/oauth2/auth/decision\">{fields}<button id=\"approve\" name=\"decision\" value=\"approve\">同意</button>\
<button id=\"deny\" name=\"decision\" value=\"deny\">拒绝</button></form></body></html>",
                nick = html_escape(&user.nick)
            ))
            .into_response()
        }
    }
}

pub(super) async fn decision(
    State(fake): State<FakeDingTalk>,
    Form(f): Form<DecisionForm>,
) -> Response {
    fake.inner.n_authorize.fetch_add(1, Ordering::Relaxed);
    let to = match check_client_redirect(&fake, &f.client_id, &f.redirect_uri) {
        Ok(u) => u,
        Err(e) => return error_page(&e),
    };
    if !scope_fits_flow(LoginFlow::Browser, &f.scope) {
        return error_page("scope 必须为 openid 或 openid corpid");
    }
    let user = fake.inner.browser.lock().expect("browser lock").1.clone();
    finish_browser(
        &fake,
        to,
        &f.client_id,
        &f.scope,
        f.state.as_deref(),
        f.decision == "approve",
        user,
    )
}
