//! What the app tells the core once, validated when the [`crate::Authenticator`] is built.
//!
//! There is deliberately no field for an AppSecret or ClientSecret: a secret shipped in an app is a
//! secret published. Codes are exchanged by the app's backend.

use crate::{strict_url, wire};

/// A configuration problem, found when the [`crate::Authenticator`] is built (or, for a flow the app
/// did not enable, when it begins one).
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
#[error("{field}: {reason}")]
pub struct ConfigError {
    /// The configuration field at fault, as named in the Rust API (`client_id`, `redirect_uri`, …).
    pub field: &'static str,
    /// Why it is refused.
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// Defines [`LoginFlow`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_login_flow {
    ($(#[$attr:meta])*) => {
        /// The way a login reaches DingTalk. It decides where the backend exchanges the code.
        $(#[$attr])*
        pub enum LoginFlow {
            /// The legacy SDK: iOS `DTOpenAPI` + `DTAuthorizeReq`, Android DDShare `SendAuth.Req`. The backend
            /// exchanges its code at `sns/getuserinfo_bycode`.
            LegacySdk,
            /// The new SDK: iOS `ADTOpenAuthSDK`, Android `ddopenauth`. Exchanged at `/v1.0/oauth2/userAccessToken`.
            NewSdk,
            /// The browser flow at `login.dingtalk.com` (Custom Tabs, ASWebAuthenticationSession).
            Browser,
        }
    };
}
define_login_flow!(#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]);

/// Defines [`Platform`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_platform {
    ($(#[$attr:meta])*) => {
        /// The platform the app runs on.
        $(#[$attr])*
        pub enum Platform {
            /// Android: every flow carries a `state`.
            Android,
            /// iOS: the legacy SDK's reply has no `state`; it is bound to the single pending legacy login.
            Ios,
        }
    };
}
define_platform!(#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]);

/// Defines [`OAuthScope`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_oauth_scope {
    ($(#[$attr:meta])*) => {
        /// The OAuth scope of the new-SDK and browser flows.
        $(#[$attr])*
        pub enum OAuthScope {
            /// `openid`: the user's identity.
            #[default]
            Openid,
            /// `openid corpid`: also the organisation the user picked (needed for an org allow-list).
            OpenidCorpid,
        }
    };
}
define_oauth_scope!(#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]);

impl OAuthScope {
    /// Space-separated, as DingTalk expects it (encoded as `%20` in URLs).
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthScope::Openid => wire::SCOPE_OPENID,
            OAuthScope::OpenidCorpid => wire::SCOPE_OPENID_CORPID,
        }
    }
}

/// DingTalk's authorize endpoint for the browser flow.
pub const DEFAULT_AUTHORIZE_ENDPOINT: &str = "https://login.dingtalk.com/oauth2/auth";
/// Hands the configuration's numeric defaults, as literal tokens, to the macro `m`:
/// `m!(pending_ttl_seconds, connect_timeout_ms, request_timeout_ms)`. The one place they are written:
/// the constants below come from it, and so do the UniFFI façade's `#[uniffi(default = …)]`, which
/// takes literals only.
#[macro_export]
macro_rules! with_config_defaults {
    ($m:ident) => {
        $m! { 600, 10000, 30000 }
    };
}

macro_rules! default_consts {
    ($pending_ttl_seconds:tt, $connect_timeout_ms:tt, $request_timeout_ms:tt) => {
        /// How long a pending login waits for DingTalk's answer by default (10 minutes; a code itself
        /// lives 5).
        pub const DEFAULT_PENDING_TTL_SECONDS: u32 = $pending_ttl_seconds;
        /// Connect timeout of a submit by default, milliseconds.
        pub const DEFAULT_CONNECT_TIMEOUT_MS: u32 = $connect_timeout_ms;
        /// Total timeout of a submit by default, milliseconds.
        pub const DEFAULT_REQUEST_TIMEOUT_MS: u32 = $request_timeout_ms;
    };
}
with_config_defaults!(default_consts);
/// Upper bound of the pending-login lifetime: an hour is already far beyond any real login.
pub const MAX_PENDING_TTL_SECONDS: u32 = 3600;

/// Everything the core needs to know about the app. Build with [`AuthConfig::new`] and adjust fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// The DingTalk application's id: the AppId for the legacy SDK, the ClientId (AppKey) otherwise.
    /// One [`crate::Authenticator`] serves one DingTalk application.
    pub client_id: String,
    /// The platform the app runs on.
    pub platform: Platform,
    /// The flows this app uses. Beginning another flow is a configuration error.
    pub flows: Vec<LoginFlow>,
    /// The redirect URI registered with DingTalk; required when the new SDK or the browser flow is enabled.
    pub redirect_uri: Option<String>,
    /// Where [`crate::Authenticator::submit`] posts the grant: HTTPS, or HTTP on loopback / 10.0.2.2.
    pub backend_url: Option<String>,
    /// Scope of the new-SDK and browser flows.
    pub scope: OAuthScope,
    /// Lifetime of a pending login, 1 to 3600 seconds.
    pub pending_ttl_seconds: u32,
    /// Connect timeout when submitting, milliseconds (1 to 120 000).
    pub connect_timeout_ms: u32,
    /// Total timeout of one submit, milliseconds (1 to 300 000).
    pub request_timeout_ms: u32,
    /// Browser flow: optional `org_type` parameter.
    pub org_type: Option<String>,
    /// Browser flow: optional `corpId` parameter (pre-selects the organisation).
    pub corp_id: Option<String>,
    /// Browser flow: `exclusiveLogin=true` (only accounts of the exclusive organisation).
    pub exclusive_login: bool,
    /// Browser flow: optional `exclusiveCorpId` parameter.
    pub exclusive_corp_id: Option<String>,
    /// The browser flow's authorize endpoint; DingTalk's unless testing against a fake.
    pub authorize_endpoint: String,
}

impl AuthConfig {
    /// A configuration with defaults: all flows enabled, scope `openid`, 10-minute pending logins.
    pub fn new(client_id: impl Into<String>, platform: Platform, flows: Vec<LoginFlow>) -> Self {
        Self {
            client_id: client_id.into(),
            platform,
            flows,
            redirect_uri: None,
            backend_url: None,
            scope: OAuthScope::Openid,
            pending_ttl_seconds: DEFAULT_PENDING_TTL_SECONDS,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            request_timeout_ms: DEFAULT_REQUEST_TIMEOUT_MS,
            org_type: None,
            corp_id: None,
            exclusive_login: false,
            exclusive_corp_id: None,
            authorize_endpoint: DEFAULT_AUTHORIZE_ENDPOINT.to_string(),
        }
    }

    /// Checks every field; the error names the first one at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_token("client_id", &self.client_id, wire::MAX_CLIENT_ID_LEN)?;
        if self.flows.is_empty() {
            return Err(ConfigError::new("flows", "enable at least one flow"));
        }
        for (i, flow) in self.flows.iter().enumerate() {
            if self.flows[..i].contains(flow) {
                return Err(ConfigError::new(
                    "flows",
                    format!("{flow:?} is listed twice"),
                ));
            }
        }
        match &self.redirect_uri {
            Some(uri) => check_redirect_uri(uri)?,
            None if self.needs_redirect_uri() => {
                return Err(ConfigError::new(
                    "redirect_uri",
                    "required by the new-SDK and browser flows (the URI registered with DingTalk)",
                ))
            }
            None => {}
        }
        if let Some(url) = &self.backend_url {
            check_http_endpoint("backend_url", url)?;
        }
        check_http_endpoint("authorize_endpoint", &self.authorize_endpoint)?;
        if !(1..=MAX_PENDING_TTL_SECONDS).contains(&self.pending_ttl_seconds) {
            return Err(ConfigError::new(
                "pending_ttl_seconds",
                format!("must be 1 to {MAX_PENDING_TTL_SECONDS}"),
            ));
        }
        if !(1..=120_000).contains(&self.connect_timeout_ms) {
            return Err(ConfigError::new(
                "connect_timeout_ms",
                "must be 1 to 120000",
            ));
        }
        if !(1..=300_000).contains(&self.request_timeout_ms) {
            return Err(ConfigError::new(
                "request_timeout_ms",
                "must be 1 to 300000",
            ));
        }
        for (field, value) in [
            ("org_type", &self.org_type),
            ("corp_id", &self.corp_id),
            ("exclusive_corp_id", &self.exclusive_corp_id),
        ] {
            if let Some(v) = value {
                check_token(field, v, 128)?;
            }
        }
        Ok(())
    }

    fn needs_redirect_uri(&self) -> bool {
        self.flows
            .iter()
            .any(|f| matches!(f, LoginFlow::NewSdk | LoginFlow::Browser))
    }
}

/// Ids and org parameters: visible ASCII, no spaces, bounded.
pub(crate) fn check_token(field: &'static str, value: &str, max: usize) -> Result<(), ConfigError> {
    if value.is_empty() {
        return Err(ConfigError::new(field, "must not be empty"));
    }
    if value.len() > max {
        return Err(ConfigError::new(
            field,
            format!("longer than {max} characters"),
        ));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConfigError::new(
            field,
            "only visible ASCII characters, no whitespace",
        ));
    }
    Ok(())
}

fn check_redirect_uri(uri: &str) -> Result<(), ConfigError> {
    const FIELD: &str = "redirect_uri";
    if uri.len() > 2048 {
        return Err(ConfigError::new(FIELD, "longer than 2048 characters"));
    }
    let url = strict_url::parse(uri).map_err(|why| ConfigError::new(FIELD, why))?;
    if url.fragment().is_some() {
        return Err(ConfigError::new(FIELD, "must not have a #fragment"));
    }
    if url.scheme() == "http" && !strict_url::is_local_development_host(&url) {
        return Err(ConfigError::new(
            FIELD,
            "plain http is only allowed for loopback and 10.0.2.2",
        ));
    }
    Ok(())
}

fn check_http_endpoint(field: &'static str, value: &str) -> Result<(), ConfigError> {
    if value.len() > 2048 {
        return Err(ConfigError::new(field, "longer than 2048 characters"));
    }
    let url = strict_url::parse(value).map_err(|why| ConfigError::new(field, why))?;
    if !strict_url::is_http(&url) {
        return Err(ConfigError::new(
            field,
            "must be an https:// URL with a host",
        ));
    }
    if url.fragment().is_some() {
        return Err(ConfigError::new(field, "must not have a #fragment"));
    }
    if url.scheme() == "http" && !strict_url::is_local_development_host(&url) {
        return Err(ConfigError::new(
            field,
            "must use https (plain http only for loopback and 10.0.2.2)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_flows() -> AuthConfig {
        let mut c = AuthConfig::new(
            "dingabc",
            Platform::Android,
            vec![LoginFlow::LegacySdk, LoginFlow::NewSdk, LoginFlow::Browser],
        );
        c.redirect_uri = Some("https://app.example/dingtalk/callback".into());
        c.backend_url = Some("https://api.example/login".into());
        c
    }

    fn field_of(c: &AuthConfig) -> &'static str {
        c.validate().unwrap_err().field
    }

    #[test]
    fn a_good_config_passes() {
        all_flows().validate().unwrap();
        let mut legacy_only =
            AuthConfig::new("dingoa123", Platform::Ios, vec![LoginFlow::LegacySdk]);
        legacy_only.validate().unwrap();
        legacy_only.backend_url = Some("http://10.0.2.2:8080/login".into());
        legacy_only.validate().unwrap();
    }

    #[test]
    fn each_bad_field_is_named() {
        type Mutation = Box<dyn Fn(&mut AuthConfig)>;
        let cases: Vec<(&str, Mutation)> = vec![
            ("client_id", Box::new(|c| c.client_id = String::new())),
            ("client_id", Box::new(|c| c.client_id = "ding abc".into())),
            ("client_id", Box::new(|c| c.client_id = "x".repeat(129))),
            ("flows", Box::new(|c| c.flows.clear())),
            ("flows", Box::new(|c| c.flows.push(LoginFlow::Browser))),
            ("redirect_uri", Box::new(|c| c.redirect_uri = None)),
            (
                "redirect_uri",
                Box::new(|c| c.redirect_uri = Some("http://app.example/cb".into())),
            ),
            (
                "redirect_uri",
                Box::new(|c| c.redirect_uri = Some("https://app.example/cb#x".into())),
            ),
            (
                "redirect_uri",
                Box::new(|c| c.redirect_uri = Some("not a url".into())),
            ),
            (
                "backend_url",
                Box::new(|c| c.backend_url = Some("http://api.example/login".into())),
            ),
            (
                "backend_url",
                Box::new(|c| c.backend_url = Some("ftp://api.example/".into())),
            ),
            (
                "backend_url",
                Box::new(|c| c.backend_url = Some("https:///path".into())),
            ),
            (
                "authorize_endpoint",
                Box::new(|c| c.authorize_endpoint = "http://login.example/".into()),
            ),
            (
                "pending_ttl_seconds",
                Box::new(|c| c.pending_ttl_seconds = 0),
            ),
            (
                "pending_ttl_seconds",
                Box::new(|c| c.pending_ttl_seconds = 3601),
            ),
            ("connect_timeout_ms", Box::new(|c| c.connect_timeout_ms = 0)),
            (
                "request_timeout_ms",
                Box::new(|c| c.request_timeout_ms = 300_001),
            ),
            ("corp_id", Box::new(|c| c.corp_id = Some(String::new()))),
            ("org_type", Box::new(|c| c.org_type = Some("a\tb".into()))),
            (
                "exclusive_corp_id",
                Box::new(|c| c.exclusive_corp_id = Some("ding 1".into())),
            ),
            (
                "redirect_uri",
                Box::new(|c| {
                    c.flows = vec![LoginFlow::NewSdk];
                    c.redirect_uri = None;
                }),
            ),
            (
                "redirect_uri",
                Box::new(|c| {
                    c.flows = vec![LoginFlow::Browser];
                    c.redirect_uri = None;
                }),
            ),
        ];
        for (field, mutate) in cases {
            let mut c = all_flows();
            mutate(&mut c);
            assert_eq!(field_of(&c), field);
        }
    }

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let c = AuthConfig::new("dingabc", Platform::Ios, vec![LoginFlow::LegacySdk]);
        assert_eq!(
            (
                c.pending_ttl_seconds,
                c.connect_timeout_ms,
                c.request_timeout_ms
            ),
            (600, 10_000, 30_000)
        );
        assert_eq!(c.scope, OAuthScope::Openid);
        assert_eq!(
            c.authorize_endpoint,
            "https://login.dingtalk.com/oauth2/auth"
        );
        assert!(!c.exclusive_login);
    }

    #[test]
    fn loopback_http_is_allowed_for_development() {
        let mut c = all_flows();
        c.redirect_uri = Some("http://127.0.0.1:8000/cb".into());
        c.backend_url = Some("http://localhost:9000/login".into());
        c.authorize_endpoint = "http://127.0.0.1:7000/oauth2/auth".into();
        c.validate().unwrap();
    }
}
