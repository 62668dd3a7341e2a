//! Exchange: the code goes to DingTalk (legacy SDK → `getuserinfo_bycode`; new SDK and browser →
//! v1.0 `userAccessToken` + `users/me`), and DingTalk's answer becomes the backend's answer, with
//! the decision whether to keep it for retries. It runs on its own task (see
//! [`crate::replay::ReplayStore::exchange_once`]).

use std::time::Instant;

use axum::body::Bytes;
use axum::http::StatusCode;
use dingtalk_auth::wire::GrantV1;
use dingtalk_auth::{LoginAnswer, OrgMember};
use dingtalk_openapi::{OpenApiClient, OpenApiError};

use crate::config::BackendConfig;
use crate::error::{ApiError, ErrorCode};
use crate::member::{operator_error, Cost, Members};
use crate::policy::{self, Route};
use crate::replay::Stored;
use crate::session::{Sessions, Subject};

struct Identity {
    union_id: String,
    open_id: String,
    nick: String,
    avatar_url: Option<String>,
    corp_id: Option<String>,
    /// The member's userid, when the exchange itself named it (free login).
    user_id: Option<String>,
}

/// What is being exchanged: the code, and the flow and platform names for the answer and the log.
pub(crate) struct Login<'a> {
    pub(crate) code: &'a str,
    pub(crate) flow: &'a str,
    pub(crate) platform: &'a str,
}

impl<'a> Login<'a> {
    pub(crate) fn of(grant: &'a GrantV1) -> Self {
        Login {
            code: &grant.code,
            flow: grant.flow.wire_name(),
            platform: grant.platform.wire_name(),
        }
    }
}

/// Exchanges the code and logs the login (never the code). Returns the answer and whether to keep it
/// for retries (false when the code was certainly or possibly not consumed, so a retry may succeed).
pub(crate) async fn exchange(
    client: &OpenApiClient,
    cfg: &BackendConfig,
    members: Option<&Members>,
    sessions: &Sessions,
    route: Route,
    login: Login<'_>,
    log_id: &str,
) -> (Stored, bool) {
    let started = Instant::now();
    let mut cost = Cost::default();
    let (stored, keep) = match identify(client, members, route, login.code).await {
        Err((e, keep)) => (error_stored(&e, keep), keep),
        Ok(identity) => {
            // The code is spent from here on: keep every answer, refusals included.
            let admitted = match policy::corp_allowed(cfg, identity.corp_id.as_deref()) {
                Err(e) => Err(e),
                Ok(()) => match (members, &identity.user_id) {
                    (None, _) => Ok(None),
                    (Some(m), Some(user_id)) => m.member_by_user_id(user_id, &mut cost).await,
                    (Some(m), None) => m.resolve(&identity.union_id, &mut cost).await,
                },
            };
            match admitted {
                Err(e) => (error_stored(&e, true), true),
                Ok(member) => (success(cfg, sessions, login.flow, identity, member), true),
            }
        }
    };
    tracing::info!(
        flow = login.flow,
        platform = login.platform,
        key = log_id,
        status = stored.status.as_u16(),
        error = stored.error,
        exchange_us = started.elapsed().as_micros() as u64,
        member_calls = cost.calls,
        member_us = cost.elapsed.as_micros() as u64,
        "login"
    );
    (stored, keep)
}

/// DingTalk's calls; a failure carries whether the code is spent.
async fn identify(
    client: &OpenApiClient,
    members: Option<&Members>,
    route: Route,
    code: &str,
) -> Result<Identity, (ApiError, bool)> {
    let failed = |e: OpenApiError| {
        let spent = definitely_consumed(&e);
        (operator_error(&e), spent)
    };
    match route {
        Route::Legacy(creds) => {
            let info = client
                .legacy_user_info_by_code(&creds, code)
                .await
                .map_err(failed)?;
            Ok(Identity {
                union_id: info.union_id,
                open_id: info.open_id,
                nick: info.nick,
                avatar_url: None,
                corp_id: None,
                user_id: None,
            })
        }
        Route::V1(creds) => {
            let token = client
                .user_access_token(&creds, code)
                .await
                .map_err(failed)?;
            // The code is consumed from here on: keep whatever answer follows.
            let me = client
                .contact_users_me(&token.access_token)
                .await
                .map_err(|e| (operator_error(&e), true))?;
            Ok(Identity {
                union_id: me.union_id,
                open_id: me.open_id,
                nick: me.nick,
                avatar_url: me.avatar_url,
                corp_id: token.corp_id,
                user_id: None,
            })
        }
        Route::FreeLogin => {
            let Some(m) = members else {
                return Err((
                    ApiError::new(
                        ErrorCode::FlowNotEnabled,
                        "free login needs the organisation (--corp-id)",
                    ),
                    false,
                ));
            };
            let u = m.org.free_login_user(code).await.map_err(failed)?;
            Ok(Identity {
                union_id: u.union_id,
                open_id: String::new(),
                nick: u.name,
                avatar_url: None,
                corp_id: Some(m.config.corp_id.clone()),
                user_id: Some(u.user_id),
            })
        }
    }
}

/// The retry rule: only DingTalk's explicit verdict on the code itself burns it (40078, a 4xx on the
/// token endpoint that is not about credentials or limits). Everything else (clock skew, credentials,
/// rate limits, ban page, timeouts, 5xx, garbage, unknown errcodes) is forgotten so the same grant
/// can be retried; if an ambiguous failure did consume the code, DingTalk refuses the retry and the
/// app gets `invalid_code`.
fn definitely_consumed(e: &OpenApiError) -> bool {
    matches!(
        e,
        OpenApiError::CodeInvalid { .. } | OpenApiError::InvalidGrant(_)
    )
}

fn success(
    cfg: &BackendConfig,
    sessions: &Sessions,
    flow: &str,
    identity: Identity,
    member: Option<OrgMember>,
) -> Stored {
    let session_token = sessions.issue(&Subject {
        union_id: &identity.union_id,
        name: member
            .as_ref()
            .and_then(|m| m.name.as_deref())
            .unwrap_or(&identity.nick),
        flow,
        member: member
            .as_ref()
            .map(|m| (m.corp_id.as_str(), m.user_id.as_str())),
    });
    // The answer's shape is the core's, which the app reads with the same type.
    let answer = LoginAnswer {
        flow: flow.to_owned(),
        union_id: identity.union_id,
        open_id: identity.open_id,
        nick: identity.nick,
        avatar_url: identity.avatar_url,
        corp_id: identity.corp_id,
        session_token,
        expires_in: cfg.session_ttl_secs,
        member,
    };
    Stored {
        status: StatusCode::OK,
        body: Bytes::from(answer.to_json()),
        error: None,
    }
}

/// A failure answer; `kept` answers (the code is spent) tell the app not to retry the same grant.
fn error_stored(e: &ApiError, kept: bool) -> Stored {
    Stored {
        status: e.code.status(),
        body: e.body_with(e.code.retryable() && !kept),
        error: Some(e.code.as_str()),
    }
}
