//! Policy: which grants this backend exchanges at all, decided before the code is remembered or sent
//! anywhere (the flow is enabled, `client_id` is this backend's, the scope fits the flow, and with a
//! corpId allow-list the scope asks for the organisation), and whose identity it admits afterwards
//! (the organisation is on the allow-list).

use dingtalk_auth::wire::{self, GrantV1};
use dingtalk_openapi::{ClientCredentials, LegacyCredentials};

use crate::config::BackendConfig;
use crate::error::{ApiError, ErrorCode};

/// The credentials a grant is exchanged with: its flow decides the DingTalk API.
pub(crate) enum Route {
    /// `getuserinfo_bycode` with the legacy AppKey/AppSecret.
    Legacy(LegacyCredentials),
    /// `userAccessToken` + `users/me` with the ClientId/ClientSecret.
    V1(ClientCredentials),
    /// A free-login code of `dd.requestAuthCode` (inside DingTalk): `topapi/v2/user/getuserinfo`
    /// with the internal app's token.
    FreeLogin,
}

/// The route of an admissible grant, or why it is refused.
pub(crate) fn admit(cfg: &BackendConfig, grant: &GrantV1) -> Result<Route, ApiError> {
    let route = if grant.flow.uses_v1_api() {
        let Some(c) = &cfg.v1 else {
            return Err(ApiError::new(
                ErrorCode::FlowNotEnabled,
                "this backend has no ClientId/ClientSecret",
            ));
        };
        if c.client_id != grant.client_id {
            return Err(ApiError::new(
                ErrorCode::ClientIdMismatch,
                "client_id is not this backend's ClientId",
            ));
        }
        Route::V1(c.clone())
    } else {
        let Some(c) = &cfg.legacy else {
            return Err(ApiError::new(
                ErrorCode::FlowNotEnabled,
                "this backend has no legacy AppKey/AppSecret",
            ));
        };
        if c.app_key != grant.client_id {
            return Err(ApiError::new(
                ErrorCode::ClientIdMismatch,
                "client_id is not this backend's legacy AppKey",
            ));
        }
        Route::Legacy(c.clone())
    };
    if !wire::scope_fits_flow(grant.flow, &grant.scope) {
        let message = match route {
            Route::Legacy(_) => "legacy SDK logins use scope sns_login",
            Route::V1(_) | Route::FreeLogin => "scope must be \"openid\" or \"openid corpid\"",
        };
        return Err(ApiError::new(ErrorCode::InvalidScope, message));
    }
    if cfg.allowed_corp_ids.is_some() && grant.scope != wire::SCOPE_OPENID_CORPID {
        return Err(ApiError::new(
            ErrorCode::CorpScopeRequired,
            "this backend only admits members of listed organisations: log in with scope \"openid corpid\"",
        ));
    }
    Ok(route)
}

/// Whether the organisation DingTalk reported may log in (always, without an allow-list).
pub(crate) fn corp_allowed(cfg: &BackendConfig, corp_id: Option<&str>) -> Result<(), ApiError> {
    match &cfg.allowed_corp_ids {
        Some(allowed) if !corp_id.is_some_and(|c| allowed.contains(c)) => Err(ApiError::new(
            ErrorCode::CorpNotAllowed,
            "the user's organisation is not allowed to use this app",
        )),
        _ => Ok(()),
    }
}
