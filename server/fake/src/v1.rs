//! The v1.0 `api` host: `POST /v1.0/oauth2/userAccessToken` and `GET /v1.0/contact/users/me`.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;

use super::faults::fault_response;
use super::{json_response, random_hex, v1_err, CodeKind, FakeDingTalk, FaultEndpoint, TokenEntry};

pub(super) async fn user_access_token(
    State(fake): State<FakeDingTalk>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    fake.inner.n_token.fetch_add(1, Ordering::Relaxed);
    if let Some(f) = fake.fault(FaultEndpoint::Token).await {
        return fault_response(f, FaultEndpoint::Token);
    }
    let cfg = &fake.inner.config;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| {
            c.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !is_json {
        // The gateway only reads JSON bodies: a form body looks like no parameters at all (assumed code).
        return v1_err(
            StatusCode::BAD_REQUEST,
            "MissingclientId",
            "clientId is mandatory for this action.",
        );
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return v1_err(
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            "the request body is not valid JSON",
        );
    };
    let field = |n: &str| v.get(n).and_then(|x| x.as_str()).filter(|s| !s.is_empty());
    let Some(client_id) = field("clientId") else {
        return v1_err(
            StatusCode::BAD_REQUEST,
            "MissingclientId",
            "clientId is mandatory for this action.",
        );
    };
    let Some(client_secret) = field("clientSecret") else {
        return v1_err(
            StatusCode::BAD_REQUEST,
            "MissingclientSecret",
            "clientSecret is mandatory for this action.",
        );
    };
    let Some(grant_type) = field("grantType") else {
        return v1_err(
            StatusCode::BAD_REQUEST,
            "MissinggrantType",
            "grantType is mandatory for this action.",
        );
    };
    if !cfg
        .clients
        .iter()
        .any(|(k, s)| k == client_id && sign_eq(s.expose(), client_secret))
    {
        return v1_err(
            StatusCode::BAD_REQUEST,
            "invalidClientIdOrSecret",
            "无效的clientId或者clientSecret",
        );
    }
    let now = fake.now_ms();
    let entry = match grant_type {
        "authorization_code" => {
            let Some(code) = field("code") else {
                return v1_err(
                    StatusCode::BAD_REQUEST,
                    "Missingcode",
                    "code is mandatory for this action.",
                );
            };
            if fake.bench_code(code) {
                let p = cfg.bench_code_prefix.as_deref().unwrap_or_default();
                return json_response(
                    StatusCode::OK,
                    serde_json::json!({"accessToken": format!("{p}access"), "refreshToken": format!("{p}refresh"),
                        "expireIn": cfg.access_ttl_secs}),
                );
            }
            let mut t = fake.inner.tables.lock().expect("fake lock");
            match t.codes.get(code) {
                Some(c)
                    if c.kind == CodeKind::V1 && c.client_id == client_id && c.expires_ms > now =>
                {
                    let c = t.codes.remove(code).expect("present");
                    TokenEntry {
                        client_id: c.client_id,
                        user: c.user,
                        corp_scope: c.corp_scope,
                        expires_ms: 0,
                    }
                }
                // No documented code for a bad auth code (assumed).
                _ => {
                    return v1_err(
                        StatusCode::BAD_REQUEST,
                        "invalidAuthCode",
                        "不合法的临时授权码",
                    )
                }
            }
        }
        "refresh_token" => {
            let Some(rt) = field("refreshToken") else {
                return v1_err(
                    StatusCode::BAD_REQUEST,
                    "MissingrefreshToken",
                    "refreshToken is mandatory for this action.",
                );
            };
            let mut t = fake.inner.tables.lock().expect("fake lock");
            match t.refresh.get(rt) {
                Some(r) if r.client_id == client_id && r.expires_ms > now => {
                    t.refresh.remove(rt).expect("present")
                }
                _ => {
                    return v1_err(
                        StatusCode::BAD_REQUEST,
                        "invalidRefreshToken",
                        "不合法的refresh_token",
                    )
                }
            }
        }
        _ => {
            return v1_err(
                StatusCode::BAD_REQUEST,
                "InvalidGrantType",
                "grantType must be authorization_code or refresh_token",
            )
        }
    };
    let access = random_hex(16);
    let refresh = random_hex(16);
    let corp_id = if entry.corp_scope {
        entry.user.corp_id.clone()
    } else {
        None
    };
    {
        let mut t = fake.inner.tables.lock().expect("fake lock");
        if t.access.len() > 10_000 {
            t.access.retain(|_, e| e.expires_ms > now);
            t.refresh.retain(|_, e| e.expires_ms > now);
        }
        t.access.insert(
            access.clone(),
            TokenEntry {
                client_id: entry.client_id.clone(),
                user: entry.user.clone(),
                corp_scope: entry.corp_scope,
                expires_ms: now + cfg.access_ttl_secs as i64 * 1000,
            },
        );
        t.refresh.insert(
            refresh.clone(),
            TokenEntry {
                expires_ms: now + cfg.refresh_ttl_secs as i64 * 1000,
                ..entry
            },
        );
    }
    let mut body = serde_json::json!({"accessToken": access, "refreshToken": refresh, "expireIn": cfg.access_ttl_secs});
    if let Some(c) = corp_id {
        body["corpId"] = serde_json::Value::String(c);
    }
    json_response(StatusCode::OK, body)
}

pub(super) fn sign_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub(super) async fn users_me(State(fake): State<FakeDingTalk>, headers: HeaderMap) -> Response {
    fake.inner.n_me.fetch_add(1, Ordering::Relaxed);
    if let Some(f) = fake.fault(FaultEndpoint::Me).await {
        return fault_response(f, FaultEndpoint::Me);
    }
    let cfg = &fake.inner.config;
    // DingTalk's gateway answers HTTP 400 for both: no header at all is
    // `AuthenticationFailed.MissingParameter` "缺少参数：x-acs-dingtalk-access-token", an unknown or
    // expired token `InvalidAuthentication` "不合法的access_token" (public reports:
    // github.com/satorijs/satori/issues/240, github.com/alibabacloud-sdk-php/dingtalk/pull/1).
    let Some(token) = headers
        .get("x-acs-dingtalk-access-token")
        .and_then(|v| v.to_str().ok())
    else {
        return v1_err(
            StatusCode::BAD_REQUEST,
            "AuthenticationFailed.MissingParameter",
            "缺少参数：x-acs-dingtalk-access-token",
        );
    };
    let bench = cfg.bench_code_prefix.as_deref().is_some_and(|p| {
        !p.is_empty()
            && token.len() == p.len() + 6
            && token.starts_with(p)
            && token.ends_with("access")
    });
    let user = if bench {
        cfg.default_user.clone()
    } else {
        let now = fake.now_ms();
        let t = fake.inner.tables.lock().expect("fake lock");
        match t.access.get(token) {
            Some(e) if e.expires_ms > now => e.user.clone(),
            _ => {
                return v1_err(
                    StatusCode::BAD_REQUEST,
                    "InvalidAuthentication",
                    "不合法的access_token",
                )
            }
        }
    };
    let mut body = serde_json::json!({
        "nick": user.nick, "avatarUrl": user.avatar_url, "openId": user.open_id,
        "unionId": user.union_id, "stateCode": user.state_code,
    });
    if let Some(m) = user.mobile {
        body["mobile"] = m.into();
    }
    if let Some(e) = user.email {
        body["email"] = e.into();
    }
    json_response(StatusCode::OK, body)
}
