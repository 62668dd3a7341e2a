//! The protocol between an app and its backend, and the DingTalk facts both ends share, defined once:
//! flow and platform names, scopes, length limits, the SDKs' ErrCodes, and the grant JSON, version 1,
//! in both directions. The mobile core writes grants with it; a backend (the reference one in
//! `server/backend`), the fake DingTalk and the tests read and write them with it, so the format
//! cannot drift between them.
//!
//! Grant JSON, version 1 (a JSON object; a backend must refuse other versions):
//! ```json
//! {"version":1,"flow":"legacy_sdk"|"new_sdk"|"browser","client_id":"…","platform":"android"|"ios",
//!  "code":"…","scope":"sns_login"|"openid"|"openid corpid","issued_at_ms":1700000000000,
//!  "idempotency_key":"<43 characters base64url>"}
//! ```
//! The flow is there because DingTalk exchanges a legacy-SDK code and a v1.0 code at different
//! endpoints (`/sns/getuserinfo_bycode` and `/v1.0/oauth2/userAccessToken`). The idempotency key is
//! derived from the login and the code (see [`crate::grant`]), so a retried submit carries the same key
//! and the backend can answer it without spending the single-use code twice.
//!
//! Nothing here needs HTTP: every build of the core, the mobile one included, has it.

use serde::Serialize;

use crate::config::{LoginFlow, Platform};

/// The current grant format version.
pub const GRANT_VERSION: u32 = 1;

// ---------------------------------------------------------------------------------------------
// Names

impl LoginFlow {
    /// Every flow, in the order the documentation lists them.
    pub const ALL: [LoginFlow; 3] = [LoginFlow::LegacySdk, LoginFlow::NewSdk, LoginFlow::Browser];

    /// The name used in the grant's JSON and in the pending-login record.
    pub fn wire_name(self) -> &'static str {
        match self {
            LoginFlow::LegacySdk => "legacy_sdk",
            LoginFlow::NewSdk => "new_sdk",
            LoginFlow::Browser => "browser",
        }
    }

    /// The flow named `s` by [`LoginFlow::wire_name`].
    pub fn from_wire_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.wire_name() == s)
    }

    /// True for the flows whose codes DingTalk exchanges at `/v1.0/oauth2/userAccessToken` (the new
    /// SDK and the browser); the legacy SDK's codes go to `/sns/getuserinfo_bycode`.
    pub fn uses_v1_api(self) -> bool {
        self != LoginFlow::LegacySdk
    }
}

impl Platform {
    /// The name used in the grant's JSON.
    pub fn wire_name(self) -> &'static str {
        match self {
            Platform::Android => "android",
            Platform::Ios => "ios",
        }
    }

    /// The platform named `s` by [`Platform::wire_name`].
    pub fn from_wire_name(s: &str) -> Option<Self> {
        [Platform::Android, Platform::Ios]
            .into_iter()
            .find(|p| p.wire_name() == s)
    }
}

// ---------------------------------------------------------------------------------------------
// Scopes

/// The legacy SDK's only scope.
pub const SCOPE_SNS_LOGIN: &str = "sns_login";
/// The v1.0 flows' identity scope.
pub const SCOPE_OPENID: &str = "openid";
/// The v1.0 flows' scope that also returns the organisation the user picked (`corpId`).
pub const SCOPE_OPENID_CORPID: &str = "openid corpid";

/// Whether `scope` is one DingTalk accepts for `flow`: `sns_login` for the legacy SDK, `openid` or
/// `openid corpid` for the new SDK and the browser.
pub fn scope_fits_flow(flow: LoginFlow, scope: &str) -> bool {
    if flow.uses_v1_api() {
        scope == SCOPE_OPENID || scope == SCOPE_OPENID_CORPID
    } else {
        scope == SCOPE_SNS_LOGIN
    }
}

/// The v1.0 flows' `response_type`: the only value DingTalk accepts ("Obtain the access credential of a
/// signed-in user", <https://open.dingtalk.com/document/orgapp/obtain-identity-credentials>; the iOS
/// SDK's `ADTOpenAuthReq.responseType`: "当前只支持固定值code").
pub const RESPONSE_TYPE_CODE: &str = "code";
/// The v1.0 flows' `prompt`: the only value DingTalk documents (same pages: "固定值为consent").
pub const PROMPT_CONSENT: &str = "consent";

// ---------------------------------------------------------------------------------------------
// Limits

/// Longest client id (AppKey / ClientId) accepted, in bytes.
pub const MAX_CLIENT_ID_LEN: usize = 128;
/// Longest auth code accepted; DingTalk's are 32 hex characters.
pub const MAX_CODE_LEN: usize = 512;
/// Longest `state` accepted in a reply.
pub use crate::state::MAX_STATE_LEN;
/// Shortest idempotency key a backend accepts (the core's are 43 characters).
pub const MIN_IDEMPOTENCY_KEY_LEN: usize = 16;
/// Longest idempotency key a backend accepts.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 128;

/// How long a grant stays answerable by its idempotency key, in seconds (15 minutes): the backend
/// keeps a grant's code and answer at least this long (the reference backend's `--replay-ttl-secs`
/// defaults to it and refuses less), and an app re-sends a grant it has not seen answered for as long
/// (`KeptGrant`). Longer than DingTalk's 5-minute code lifetime
/// (<https://open.dingtalk.com/document/orgapp/obtain-identity-credentials>) on purpose: once a first
/// send has reached the backend, the answer outlives the code, so an app killed before reading it still
/// gets the login when relaunched within this window. A grant whose first send never arrived is refused
/// on a later re-send (DingTalk rejects the expired code), and the user logs in again.
pub const IDEMPOTENCY_WINDOW_SECS: u64 = 15 * 60;

/// An auth code must look like one: 1 to [`MAX_CODE_LEN`] visible ASCII characters.
pub fn is_plausible_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= MAX_CODE_LEN && code.bytes().all(|b| b.is_ascii_graphic())
}

fn is_plausible_idempotency_key(key: &str) -> bool {
    (MIN_IDEMPOTENCY_KEY_LEN..=MAX_IDEMPOTENCY_KEY_LEN).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

// ---------------------------------------------------------------------------------------------
// The SDKs' ErrCodes

/// The ErrCodes of DingTalk's SDKs (iOS `DTOpenAPIObject.h` `DTOpenAPIErrorCode`, Android
/// `BaseResp.ErrCode`); the new Android SDK reports the same numbers as strings (its `error` extra:
/// `ERR_OK = 0`, `ERR_AUTH_DENIED = -4`, `ERR_USER_CANCEL = -2`,
/// <https://open.dingtalk.com/document/dingstart/mini-app-android-platform-application-authorization-login-access>).
pub mod err_code {
    /// The user authorized; the answer carries a code.
    pub const SUCCESS: i32 = 0;
    /// A common failure.
    pub const COMMON_FAILURE: i32 = -1;
    /// The user backed out.
    pub const USER_CANCELLED: i32 = -2;
    /// The request never reached DingTalk.
    pub const SEND_FAILED: i32 = -3;
    /// The user refused the authorization.
    pub const AUTH_DENIED: i32 = -4;
    /// This DingTalk version does not support the request.
    pub const UNSUPPORTED: i32 = -5;
}

// ---------------------------------------------------------------------------------------------
// Grant JSON v1

/// A grant as it travels from the app to its backend (version 1). `Debug` never shows the code.
#[derive(Clone, PartialEq, Eq)]
pub struct GrantV1 {
    /// Decides where the backend exchanges the code.
    pub flow: LoginFlow,
    /// The DingTalk application the code was issued to (AppKey or ClientId).
    pub client_id: String,
    /// The app's platform.
    pub platform: Platform,
    /// The single-use auth code. Never log it.
    pub code: String,
    /// The scope the login asked for; [`scope_fits_flow`] says whether it fits the flow.
    pub scope: String,
    /// When the app received the code, milliseconds since the Unix epoch.
    pub issued_at_ms: i64,
    /// Equal for every submit of the same login and code (see [`crate::grant`]).
    pub idempotency_key: String,
}

#[derive(Serialize)]
struct Writer<'a> {
    version: u32,
    flow: &'static str,
    client_id: &'a str,
    platform: &'static str,
    code: &'a str,
    scope: &'a str,
    issued_at_ms: i64,
    idempotency_key: &'a str,
}

/// Why a body is not a grant JSON v1. The message names the field at fault and never its value (the
/// code must not reach a log or an error answer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("the body is not JSON")]
    NotJson,
    #[error("the body must be a JSON object")]
    NotAnObject,
    #[error("`version` must be 1 (grant JSON v1)")]
    UnsupportedVersion,
    #[error("`{0}` is missing")]
    Missing(&'static str),
    #[error("`{0}` must be a string")]
    NotAString(&'static str),
    #[error("`flow` must be legacy_sdk, new_sdk or browser")]
    Flow,
    #[error("`platform` must be android or ios")]
    Platform,
    #[error("`client_id` must be 1..=128 characters")]
    ClientId,
    #[error("`code` must be 1..=512 printable ASCII characters")]
    Code,
    #[error("`issued_at_ms` must be a non-negative integer")]
    IssuedAt,
    #[error("`idempotency_key` must be 16..=128 base64url characters")]
    IdempotencyKey,
}

impl GrantV1 {
    /// The documented JSON body.
    pub fn to_json(&self) -> String {
        let w = Writer {
            version: GRANT_VERSION,
            flow: self.flow.wire_name(),
            client_id: &self.client_id,
            platform: self.platform.wire_name(),
            code: &self.code,
            scope: &self.scope,
            issued_at_ms: self.issued_at_ms,
            idempotency_key: &self.idempotency_key,
        };
        // Serialising plain strings and integers cannot fail.
        serde_json::to_string(&w).unwrap_or_default()
    }

    /// Reads and checks a grant: `version` first (so a future format is told apart from a broken
    /// one), then every field in the order of the format. The scope is only required to be a string:
    /// whether it fits the flow is the backend's policy ([`scope_fits_flow`]).
    pub fn from_json(body: &[u8]) -> Result<Self, GrantError> {
        let v: serde_json::Value = serde_json::from_slice(body).map_err(|_| GrantError::NotJson)?;
        let obj = v.as_object().ok_or(GrantError::NotAnObject)?;
        if obj.get("version").and_then(|x| x.as_u64()) != Some(u64::from(GRANT_VERSION)) {
            return Err(GrantError::UnsupportedVersion);
        }
        let field = |name: &'static str| match obj.get(name) {
            Some(serde_json::Value::String(s)) => Ok(s.as_str()),
            Some(_) => Err(GrantError::NotAString(name)),
            None => Err(GrantError::Missing(name)),
        };
        let flow = LoginFlow::from_wire_name(field("flow")?).ok_or(GrantError::Flow)?;
        let platform = Platform::from_wire_name(field("platform")?).ok_or(GrantError::Platform)?;
        let client_id = field("client_id")?;
        if client_id.is_empty() || client_id.len() > MAX_CLIENT_ID_LEN {
            return Err(GrantError::ClientId);
        }
        let code = field("code")?;
        if !is_plausible_code(code) {
            return Err(GrantError::Code);
        }
        let scope = field("scope")?;
        let issued_at_ms = obj
            .get("issued_at_ms")
            .and_then(|x| x.as_i64())
            .filter(|t| *t >= 0)
            .ok_or(GrantError::IssuedAt)?;
        let idempotency_key = field("idempotency_key")?;
        if !is_plausible_idempotency_key(idempotency_key) {
            return Err(GrantError::IdempotencyKey);
        }
        Ok(GrantV1 {
            flow,
            client_id: client_id.to_owned(),
            platform,
            code: code.to_owned(),
            scope: scope.to_owned(),
            issued_at_ms,
            idempotency_key: idempotency_key.to_owned(),
        })
    }
}

impl std::fmt::Debug for GrantV1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrantV1")
            .field("flow", &self.flow)
            .field("client_id", &self.client_id)
            .field("platform", &self.platform)
            .field("code", &"<redacted>")
            .field("scope", &self.scope)
            .field("issued_at_ms", &self.issued_at_ms)
            .field("idempotency_key", &self.idempotency_key)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> GrantV1 {
        GrantV1 {
            flow: LoginFlow::NewSdk,
            client_id: "dingc".into(),
            platform: Platform::Android,
            code: "c0de\"x".into(),
            scope: SCOPE_OPENID_CORPID.into(),
            issued_at_ms: 1_700_000_000_000,
            idempotency_key: "k".repeat(43),
        }
    }

    fn with(field: &str, value: serde_json::Value) -> Vec<u8> {
        let mut v: serde_json::Value = serde_json::from_str(&grant().to_json()).unwrap();
        if value.is_null() {
            v.as_object_mut().unwrap().remove(field);
        } else {
            v[field] = value;
        }
        v.to_string().into_bytes()
    }

    #[test]
    fn a_written_grant_reads_back_equal() {
        let g = grant();
        assert_eq!(GrantV1::from_json(g.to_json().as_bytes()), Ok(g));
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_none() {
        for f in LoginFlow::ALL {
            assert_eq!(LoginFlow::from_wire_name(f.wire_name()), Some(f));
        }
        for p in [Platform::Android, Platform::Ios] {
            assert_eq!(Platform::from_wire_name(p.wire_name()), Some(p));
        }
        assert_eq!(LoginFlow::from_wire_name("Browser"), None);
        assert_eq!(Platform::from_wire_name("harmony"), None);
    }

    #[test]
    fn scopes_fit_their_flows_only() {
        assert!(scope_fits_flow(LoginFlow::LegacySdk, SCOPE_SNS_LOGIN));
        assert!(!scope_fits_flow(LoginFlow::LegacySdk, SCOPE_OPENID));
        for f in [LoginFlow::NewSdk, LoginFlow::Browser] {
            assert!(scope_fits_flow(f, SCOPE_OPENID));
            assert!(scope_fits_flow(f, SCOPE_OPENID_CORPID));
            assert!(!scope_fits_flow(f, SCOPE_SNS_LOGIN));
            assert!(!scope_fits_flow(f, "openid  corpid"));
        }
    }

    #[test]
    fn every_bad_field_is_named_without_its_value() {
        use serde_json::json;
        let long_id = "i".repeat(MAX_CLIENT_ID_LEN + 1);
        let long_code = "c".repeat(MAX_CODE_LEN + 1);
        let cases: Vec<(Vec<u8>, GrantError)> = vec![
            (b"{".to_vec(), GrantError::NotJson),
            (b"[1]".to_vec(), GrantError::NotAnObject),
            (with("version", json!(2)), GrantError::UnsupportedVersion),
            (with("version", json!("1")), GrantError::UnsupportedVersion),
            (
                with("version", serde_json::Value::Null),
                GrantError::UnsupportedVersion,
            ),
            (
                with("flow", serde_json::Value::Null),
                GrantError::Missing("flow"),
            ),
            (with("flow", json!(1)), GrantError::NotAString("flow")),
            (with("flow", json!("sdk")), GrantError::Flow),
            (with("platform", json!("web")), GrantError::Platform),
            (with("client_id", json!("")), GrantError::ClientId),
            (with("client_id", json!(long_id)), GrantError::ClientId),
            (with("code", json!("")), GrantError::Code),
            (with("code", json!("a b")), GrantError::Code),
            (with("code", json!(long_code)), GrantError::Code),
            (
                with("scope", json!(["openid"])),
                GrantError::NotAString("scope"),
            ),
            (with("issued_at_ms", json!(-1)), GrantError::IssuedAt),
            (with("issued_at_ms", json!("1")), GrantError::IssuedAt),
            (
                with("idempotency_key", json!("short")),
                GrantError::IdempotencyKey,
            ),
            (
                with("idempotency_key", json!("k".repeat(20) + "=")),
                GrantError::IdempotencyKey,
            ),
        ];
        for (body, want) in cases {
            let got = GrantV1::from_json(&body).unwrap_err();
            assert_eq!(got, want, "{}", String::from_utf8_lossy(&body));
            assert!(!got.to_string().contains("c0de"));
        }
    }

    #[test]
    fn debug_redacts_the_code() {
        assert!(!format!("{:?}", grant()).contains("c0de"));
    }
}
