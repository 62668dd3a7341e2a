//! What `begin` hands to the app, and through it to DingTalk.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::config::{AuthConfig, ConfigError, LoginFlow, Platform};
use crate::strict_url;
use crate::wire;

/// Scope of the legacy SDK (`SendAuth.Req.SNS_LOGIN`).
pub const LEGACY_SCOPE: &str = crate::wire::SCOPE_SNS_LOGIN;

/// Everything except RFC 3986 unreserved characters is encoded, so a space becomes `%20` (never `+`),
/// as DingTalk documents for `scope`, and `redirect_uri` is encoded in full.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A login that has begun: pass these values to DingTalk's SDK, or open [`LoginRequest::authorize_url`].
#[derive(Clone, PartialEq, Eq)]
pub struct LoginRequest {
    pub flow: LoginFlow,
    pub client_id: String,
    /// `None` only for the legacy SDK on iOS, whose `DTAuthorizeReq` has no state field.
    pub state: Option<String>,
    /// New SDK only (ADTOpenAuthReq.nonce).
    pub nonce: Option<String>,
    /// `sns_login` for the legacy SDK, `openid` or `openid corpid` otherwise.
    pub scope: String,
    /// New SDK and browser: the registered redirect URI.
    pub redirect_uri: Option<String>,
    /// New SDK and browser: the `response_type` to pass (`code`; the browser's is in its URL already).
    pub response_type: Option<String>,
    /// New SDK and browser: the `prompt` to pass (`consent`; the browser's is in its URL already).
    pub prompt: Option<String>,
    /// Browser only: the complete `login.dingtalk.com/oauth2/auth` URL.
    pub authorize_url: Option<String>,
    /// When the pending login expires, milliseconds since the epoch.
    pub expires_at_ms: i64,
    /// Names the pending login for [`crate::Authenticator::abandon`], for every flow (the legacy iOS
    /// login has no `state` to name it by). Not a secret, and not for DingTalk.
    pub pending_login_id: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The state and nonce are secrets until DingTalk answers.
        f.debug_struct("LoginRequest")
            .field("flow", &self.flow)
            .field("client_id", &self.client_id)
            .field("state", &self.state.as_ref().map(|_| "<redacted>"))
            .field("scope", &self.scope)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

impl LoginRequest {
    pub(crate) fn new(
        config: &AuthConfig,
        flow: LoginFlow,
        state: String,
        nonce: Option<String>,
        pending_login_id: String,
        expires_at_ms: i64,
    ) -> Result<Self, ConfigError> {
        let scope = match flow {
            LoginFlow::LegacySdk => LEGACY_SCOPE.to_string(),
            LoginFlow::NewSdk | LoginFlow::Browser => config.scope.as_str().to_string(),
        };
        let authorize_url = match flow {
            LoginFlow::Browser => Some(authorize_url(config, &state)?),
            _ => None,
        };
        let stateless = flow == LoginFlow::LegacySdk && config.platform == Platform::Ios;
        Ok(LoginRequest {
            flow,
            client_id: config.client_id.clone(),
            state: (!stateless).then_some(state),
            nonce,
            scope,
            redirect_uri: (flow != LoginFlow::LegacySdk)
                .then(|| config.redirect_uri.clone())
                .flatten(),
            authorize_url,
            response_type: flow
                .uses_v1_api()
                .then(|| wire::RESPONSE_TYPE_CODE.to_string()),
            prompt: flow.uses_v1_api().then(|| wire::PROMPT_CONSENT.to_string()),
            expires_at_ms,
            pending_login_id,
        })
    }
}

/// The browser flow's authorize URL exactly as DingTalk documents it ("Obtain the access credential of
/// a signed-in user", <https://open.dingtalk.com/document/orgapp/obtain-identity-credentials>: `redirect_uri`,
/// `response_type=code`, `client_id`, `scope`, `state`, `prompt=consent`, optional `org_type`, `corpId`,
/// `exclusiveLogin`, `exclusiveCorpId`), on the configured endpoint (whose own query, if any, is kept
/// in front).
pub fn authorize_url(config: &AuthConfig, state: &str) -> Result<String, ConfigError> {
    let mut url = strict_url::parse(&config.authorize_endpoint)
        .map_err(|why| ConfigError::new("authorize_endpoint", why))?;
    let enc = |s: &str| utf8_percent_encode(s, COMPONENT).to_string();
    let redirect = config.redirect_uri.as_deref().unwrap_or_default();
    let mut query = url.query().map(|q| format!("{q}&")).unwrap_or_default();
    // Built by hand rather than with `query_pairs_mut`: form encoding would turn the space of
    // `openid corpid` into `+`, and DingTalk documents `%20`.
    query.push_str(&format!(
        "redirect_uri={}&response_type={}&client_id={}&scope={}&state={}&prompt={}",
        enc(redirect),
        wire::RESPONSE_TYPE_CODE,
        enc(&config.client_id),
        enc(config.scope.as_str()),
        enc(state),
        wire::PROMPT_CONSENT,
    ));
    for (name, value) in [("org_type", &config.org_type), ("corpId", &config.corp_id)] {
        if let Some(v) = value {
            query.push_str(&format!("&{name}={}", enc(v)));
        }
    }
    if config.exclusive_login {
        query.push_str("&exclusiveLogin=true");
    }
    if let Some(v) = &config.exclusive_corp_id {
        query.push_str(&format!("&exclusiveCorpId={}", enc(v)));
    }
    url.set_query(&query);
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OAuthScope;

    #[test]
    fn authorize_url_matches_the_documented_shape() {
        let mut c = AuthConfig::new("dingxyz", Platform::Android, vec![LoginFlow::Browser]);
        c.redirect_uri = Some("https://app.example/a/b?x=1".into());
        c.scope = OAuthScope::OpenidCorpid;
        assert_eq!(
            authorize_url(&c, "S-t_8").unwrap(),
            "https://login.dingtalk.com/oauth2/auth?redirect_uri=https%3A%2F%2Fapp.example%2Fa%2Fb%3Fx%3D1\
             &response_type=code&client_id=dingxyz&scope=openid%20corpid&state=S-t_8&prompt=consent"
        );
        c.org_type = Some("management".into());
        c.corp_id = Some("ding123".into());
        c.exclusive_login = true;
        c.exclusive_corp_id = Some("ding456".into());
        assert!(authorize_url(&c, "s").unwrap().ends_with(
            "&prompt=consent&org_type=management&corpId=ding123&exclusiveLogin=true&exclusiveCorpId=ding456"
        ));
    }

    /// The new SDK's request classes need `responseType` and `prompt`; the platform layers copy them
    /// from the request instead of writing DingTalk's values a second time.
    #[test]
    fn v1_requests_carry_response_type_and_prompt_and_legacy_ones_do_not() {
        let flows = vec![LoginFlow::LegacySdk, LoginFlow::NewSdk, LoginFlow::Browser];
        let mut c = AuthConfig::new("dingxyz", Platform::Android, flows);
        c.redirect_uri = Some("https://app.example/cb".into());
        let request =
            |flow| LoginRequest::new(&c, flow, "st".into(), None, "id".into(), 5).unwrap();
        for flow in [LoginFlow::NewSdk, LoginFlow::Browser] {
            let r = request(flow);
            assert_eq!(
                (r.response_type.as_deref(), r.prompt.as_deref()),
                (Some("code"), Some("consent")),
                "{flow:?}"
            );
        }
        let r = request(LoginFlow::LegacySdk);
        assert_eq!((r.response_type, r.prompt), (None, None));
    }

    #[test]
    fn legacy_ios_request_has_no_state_and_debug_redacts() {
        let legacy_request = |platform| {
            let c = AuthConfig::new("dingoa", platform, vec![LoginFlow::LegacySdk]);
            let state = "secretstate".to_string();
            LoginRequest::new(&c, LoginFlow::LegacySdk, state, None, "id".into(), 5).unwrap()
        };
        let r = legacy_request(Platform::Ios);
        assert_eq!(
            (
                r.state.as_deref(),
                r.scope.as_str(),
                r.redirect_uri.as_deref()
            ),
            (None, "sns_login", None)
        );
        let r = legacy_request(Platform::Android);
        assert_eq!(r.state.as_deref(), Some("secretstate"));
        assert!(!format!("{r:?}").contains("secretstate"));
    }
}
