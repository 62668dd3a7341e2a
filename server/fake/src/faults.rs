//! Fault injection: what DingTalk answers when it is not answering the request itself — rate limits,
//! quota, bad app credentials, the IP ban, 5xx, garbage, slowness — each in DingTalk's own format.
//!
//! Sources (open.dingtalk.com, "如何处理钉钉服务端API限流" and the per-API error tables):
//! * per-API global QPS limit: legacy errcode 90002, v1.0 `Forbidden.AccessDenied.QpsLimitForApi`;
//! * per-app per-API QPS limit: legacy 90018, v1.0 `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`;
//! * per-app per-organisation limit: legacy 90019;
//! * monthly quota: legacy 90020, v1.0 `Forbidden.AccessDenied.ApiCountLimitForOrg`;
//! * IP over 10 000 calls in 20 s: banned 5 minutes, answered with a page, not an error code; the
//!   documentation shows its content as `{"status":1111,"wait":5,"source":"x5","punish":"deny",…}`;
//! * bad ClientId/ClientSecret: HTTP 400 `invalidClientIdOrSecret` (documented on the v1.0 token
//!   endpoints); a missing API permission: HTTP 403 `Forbidden.AccessDenied.AccessTokenPermissionDenied`;
//! * legacy errcode -1 "系统繁忙": DingTalk is busy, retry.
//!
//! The HTTP status of the v1.0 rate-limit answers (403, as maintained clients handle it; 429 for
//! `Throttling.*`) and of the ban page are not documented: they are what public clients see.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::{json_response, legacy_err, v1_err, FakeDingTalk};

/// Which endpoint a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultEndpoint {
    /// `/sns/getuserinfo_bycode`.
    Legacy,
    /// `/v1.0/oauth2/userAccessToken`.
    Token,
    /// `/v1.0/contact/users/me`.
    Me,
    /// `/oauth2/auth`.
    Authorize,
    /// Legacy, token and me.
    All,
}

/// An injected fault. Every fault except [`Fault::Delay`] answers *instead of* DingTalk's service:
/// the code is left untouched, as it is when DingTalk's gateway refuses a call.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer this HTTP status (a small JSON `{code,message}` body; plain text on the legacy host).
    Status {
        /// e.g. 500, 502, 503.
        status: u16,
    },
    /// Wait this long, then answer normally: the request *is* processed (and the code consumed) even
    /// when the client gave up meanwhile. For "slow but working" DingTalk.
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// Hold the request this long, then answer the gateway's HTTP 504 without processing it: a
    /// timeout before DingTalk did anything (set it beyond the client's timeout).
    Stall {
        /// Milliseconds.
        ms: u64,
    },
    /// DingTalk's IP-ban answer: HTTP 403 with an HTML page (status assumed).
    HtmlBan,
    /// The IP-ban answer as DingTalk's documentation shows it: HTTP 200 (assumed) with
    /// `{"status":1111,"wait":5,"source":"x5","punish":"deny","uuid":…}`.
    PunishBan,
    /// HTTP 200, `Content-Type: application/json`, truncated JSON.
    MalformedJson,
    /// A rate limit or quota. Legacy: HTTP 200 `{"errcode": errcode}` (default 90002); v1.0: HTTP 403
    /// `{"code": code}` (default `Forbidden.AccessDenied.QpsLimitForApi`), or HTTP 429 when the code
    /// starts with `Throttling`.
    RateLimit {
        /// Legacy errcode: 90002, 90018, 90019 or 90020.
        errcode: Option<i64>,
        /// v1.0 code: `Forbidden.AccessDenied.QpsLimitForApi`, `…QpsLimitForAppkeyAndApi`,
        /// `…ApiCountLimitForOrg`, `Throttling.Api`.
        code: Option<String>,
    },
    /// The backend's app credentials are refused. Legacy: errcode 853004 (signature mismatch);
    /// token: HTTP 400 `invalidClientIdOrSecret`; users/me: HTTP 403
    /// `Forbidden.AccessDenied.AccessTokenPermissionDenied` (the app lacks Contact.User.Read).
    BadCredentials,
    /// DingTalk is busy. Legacy: errcode -1 `系统繁忙`; v1.0: HTTP 503 `ServiceUnavailable`.
    SystemBusy,
}

impl Fault {
    /// The default v1.0 rate-limit code.
    pub const QPS_LIMIT_FOR_API: &'static str = "Forbidden.AccessDenied.QpsLimitForApi";
}

const BAN_PAGE: &str =
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>访问受限</title></head>\
<body><h1>访问受限</h1><p>您的IP访问过于频繁，已被暂时限制访问，请5分钟后再试。</p></body></html>";

fn legacy_rate_limit_message(errcode: i64) -> &'static str {
    match errcode {
        90018 => "当前应用调用该接口次数过多，超出了每秒最大调用次数，请求被暂时限制了",
        90019 => "当前企业调用该接口次数过多，请求被暂时限制了",
        90020 => "您的企业本月api调用量已超过限制",
        _ => "当前所有钉钉应用调用该接口次数过多，超出了该接口承受的最大qps，请求被暂时限制了",
    }
}

impl FakeDingTalk {
    /// Takes the fault for `ep` (counting down `times`). A delay is served here and yields `None`
    /// (the request then proceeds normally); a stall is served here and yields its answer.
    pub(super) async fn fault(&self, ep: FaultEndpoint) -> Option<Fault> {
        let fault = {
            let mut f = self.inner.faults.lock().expect("fault lock");
            let hit = match f.get_mut(&ep) {
                None => None,
                Some((fault, None)) => Some(fault.clone()),
                Some((fault, Some(n))) => {
                    let x = fault.clone();
                    *n -= 1;
                    if *n == 0 {
                        f.remove(&ep);
                    }
                    Some(x)
                }
            };
            hit?
        };
        match fault {
            Fault::Delay { ms } => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                None
            }
            Fault::Stall { ms } => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Some(fault)
            }
            f => Some(f),
        }
    }
}

/// DingTalk's answer for `fault` at endpoint `ep`.
pub(super) fn fault_response(fault: Fault, ep: FaultEndpoint) -> Response {
    let legacy = ep == FaultEndpoint::Legacy;
    match fault {
        Fault::Status { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if legacy {
                (status, "Service Unavailable").into_response()
            } else {
                v1_err(
                    status,
                    "ServiceUnavailable",
                    "The request has failed due to a temporary failure of the server.",
                )
            }
        }
        Fault::Stall { .. } => (StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout").into_response(),
        Fault::HtmlBan => (StatusCode::FORBIDDEN, Html(BAN_PAGE)).into_response(),
        Fault::PunishBan => json_response(
            StatusCode::OK,
            serde_json::json!({"status": 1111, "wait": 5, "source": "x5", "punish": "deny",
                "uuid": super::random_hex(16)}),
        ),
        Fault::MalformedJson => {
            let mut r = (
                StatusCode::OK,
                "{\"errcode\":0,\"errmsg\":\"ok\",\"user_info\":{\"nick\":",
            )
                .into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json;charset=utf-8"),
            );
            r
        }
        Fault::RateLimit { errcode, code } => {
            if legacy {
                let errcode = errcode.unwrap_or(90002);
                legacy_err(errcode, legacy_rate_limit_message(errcode))
            } else {
                let code = code.unwrap_or_else(|| Fault::QPS_LIMIT_FOR_API.to_owned());
                let status = if code.starts_with("Throttling") {
                    StatusCode::TOO_MANY_REQUESTS
                } else {
                    StatusCode::FORBIDDEN
                };
                v1_err(status, &code, "api qps limit exceeded, 请求被暂时限制了")
            }
        }
        Fault::BadCredentials if legacy => legacy_err(853004, "签名不匹配"),
        Fault::BadCredentials if ep == FaultEndpoint::Token => v1_err(
            StatusCode::BAD_REQUEST,
            "invalidClientIdOrSecret",
            "无效的clientId或者clientSecret",
        ),
        Fault::BadCredentials => v1_err(
            StatusCode::FORBIDDEN,
            "Forbidden.AccessDenied.AccessTokenPermissionDenied",
            "没有调用该接口的权限，接口权限申请参考：https://open.dingtalk.com/document/orgapp-server/add-api-permission",
        ),
        Fault::SystemBusy => {
            if legacy {
                legacy_err(-1, "系统繁忙")
            } else {
                v1_err(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "系统繁忙",
                )
            }
        }
        Fault::Delay { .. } => unreachable!("served in FakeDingTalk::fault"),
    }
}
