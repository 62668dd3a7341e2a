//! The one object an app talks to: begin a login, complete it from DingTalk's answer, send the grant.

use std::sync::Arc;

use crate::browser::{parse_callback, Callback};
use crate::config::{AuthConfig, ConfigError, LoginFlow, Platform};
use crate::error::{Error, HttpError, Result, StateError};
use crate::grant::AuthGrant;
use crate::request::LoginRequest;
use crate::sdk::{self, AnsweredBy, Outcome, SdkResponse, Verdict};
use crate::state::{self, Clock, Ledger, MemoryStore, PendingStore, Redeemed, SystemClock};
use crate::transport::Transport;

/// Logins of one DingTalk application on this device.
pub struct Authenticator {
    config: AuthConfig,
    ledger: Ledger,
    /// How `submit` sends: the app's transport, else the built-in one (feature `http`), else none.
    transport: Option<Arc<dyn Transport>>,
}

impl Authenticator {
    /// Validates the configuration; `store` defaults to memory, `clock` to the system clock.
    pub fn new(
        config: AuthConfig,
        store: Option<Arc<dyn PendingStore>>,
        clock: Option<Arc<dyn Clock>>,
    ) -> Result<Self> {
        config.validate()?;
        let store = store.unwrap_or_else(|| Arc::new(MemoryStore::default()));
        let clock = clock.unwrap_or_else(|| Arc::new(SystemClock));
        let ledger = Ledger::new(
            store,
            clock,
            config.client_id.clone(),
            config.platform,
            config.pending_ttl_seconds,
        );
        #[cfg(feature = "http")]
        let transport: Option<Arc<dyn Transport>> =
            Some(Arc::new(crate::http_client::BuiltinTransport::default()));
        #[cfg(not(feature = "http"))]
        let transport = None;
        Ok(Authenticator {
            transport,
            ledger,
            config,
        })
    }

    /// `submit` sends through `transport` (the app's HTTP stack) instead of the built-in client.
    pub fn with_transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The validated configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// Starts a login: a fresh pending login and what to hand to DingTalk.
    pub fn begin(&self, flow: LoginFlow) -> Result<LoginRequest> {
        if !self.config.flows.contains(&flow) {
            return Err(ConfigError::new("flows", format!("{flow:?} is not enabled")).into());
        }
        let opened = self.ledger.open(flow)?;
        let nonce = if flow == LoginFlow::NewSdk {
            Some(state::random_token(16)?)
        } else {
            None
        };
        log::info!("began a {} login", flow.wire_name());
        Ok(LoginRequest::new(
            &self.config,
            flow,
            opened.state,
            nonce,
            opened.pending_login_id,
            opened.expires_at_ms,
        )?)
    }

    /// Completes a login from an SDK answer (legacy or new SDK).
    pub fn complete_sdk(&self, response: &SdkResponse) -> Result<Outcome> {
        let flow = response.flow;
        if flow == LoginFlow::Browser {
            return Err(Error::Response(
                "a browser login completes with its callback URL, not an SDK answer".into(),
            ));
        }
        if !self.config.flows.contains(&flow) {
            return Err(ConfigError::new("flows", format!("{flow:?} is not enabled")).into());
        }
        let answered_by = sdk::answered_by(flow, response.reply_type.as_deref());
        let verdict = match sdk::parse_err_code(&response.err_code) {
            Some(err_code) => sdk::verdict(
                err_code,
                response.message.as_deref(),
                answered_by,
                self.config.platform,
            ),
            // The new SDK's web fallback passes on the login page's `error=` value, not an ErrCode.
            None if answered_by == AnsweredBy::DingTalkWebFallback
                && !response.err_code.is_empty() =>
            {
                Verdict::Other(sdk::login_page_error(&response.err_code, answered_by))
            }
            None => {
                return Err(Error::Response(
                    "the ErrCode is not DingTalk's decimal form".into(),
                ))
            }
        };
        let code = response.code.as_deref().unwrap_or_default();
        // Everything that can refuse the answer itself is checked before the state: a refused answer
        // must leave the pending login it names as it was.
        if verdict == Verdict::Success && !sdk::is_plausible_code(code) {
            return Err(Error::Response("success without a usable auth code".into()));
        }
        // Every answer, a cancel as much as a success, must name this device's pending login: else any
        // app could make ours show "cancelled" while the real login is still waiting.
        let redeemed = self.redeem(flow, response.state.as_deref())?;
        let outcome = match verdict {
            Verdict::Other(outcome) => outcome,
            Verdict::Success => Outcome::Authorized {
                grant: self.grant(flow, code, &redeemed),
                answered_by,
            },
        };
        log::info!(
            "{} login finished: {} (answered by {answered_by:?})",
            flow.wire_name(),
            outcome_name(&outcome)
        );
        Ok(outcome)
    }

    /// Completes a browser login from the URL DingTalk redirected to.
    pub fn complete_browser(&self, callback_url: &str) -> Result<Outcome> {
        let flow = LoginFlow::Browser;
        let redirect = match (&self.config.redirect_uri, self.config.flows.contains(&flow)) {
            (Some(r), true) => r,
            _ => return Err(ConfigError::new("flows", "Browser is not enabled").into()),
        };
        let answered_by = AnsweredBy::Browser;
        let outcome = match parse_callback(callback_url, redirect)? {
            Callback::Code { code, state } => {
                let redeemed = self.redeem(flow, state.as_deref())?;
                Outcome::Authorized {
                    grant: self.grant(flow, &code, &redeemed),
                    answered_by,
                }
            }
            Callback::Error { error, state } => {
                self.redeem(flow, state.as_deref())?;
                sdk::login_page_error(&error, answered_by)
            }
        };
        log::info!("browser login finished: {}", outcome_name(&outcome));
        Ok(outcome)
    }

    /// Forgets a pending login the app gave up on.
    pub fn discard(&self, state: &str) -> Result<()> {
        self.ledger.discard(state)
    }

    /// Forgets the login `request` began, because handing it to DingTalk failed (the SDK refused, no
    /// browser opened, the user closed the page): no answer can come for it. Works for every flow,
    /// the legacy iOS one (which has no state) included. A login that was already answered is kept.
    pub fn abandon(&self, request: &LoginRequest) -> Result<()> {
        self.ledger.abandon(&request.pending_login_id)
    }

    /// How many logins are waiting for DingTalk's answer.
    pub fn pending_count(&self) -> Result<usize> {
        self.ledger.pending_count()
    }

    /// Sends the grant to the configured backend, through the app's transport or the built-in one.
    pub async fn submit(&self, grant: &AuthGrant) -> Result<BackendResponse> {
        let url = self
            .config
            .backend_url
            .as_deref()
            .ok_or(HttpError::Unavailable("no backend_url configured"))?;
        // Without the `http` feature and without a transport there is nothing to send with: the app
        // posts `AuthGrant::to_json` itself. Kept as a method so every build has the same API.
        let transport = self.transport.as_deref().ok_or(HttpError::Unavailable(
            "this build has no HTTP client of its own; pass a transport, or post grant.toJson() yourself",
        ))?;
        let request = crate::submit::grant_request(
            url,
            grant,
            self.config.connect_timeout_ms,
            self.config.request_timeout_ms,
        );
        log::info!("submitting a {} grant", grant.flow.wire_name());
        Ok(crate::submit::submit(transport, request).await?)
    }

    fn redeem(&self, flow: LoginFlow, state: Option<&str>) -> Result<Redeemed> {
        let stateless = flow == LoginFlow::LegacySdk && self.config.platform == Platform::Ios;
        match state {
            // Bridges from Objective-C often turn "no state" into "": for the one flow that never
            // carries a state, both mean the same.
            Some("") | None if stateless => self.ledger.redeem_stateless(),
            Some(s) => self.ledger.redeem(flow, s),
            None => Err(StateError::Missing.into()),
        }
    }

    fn grant(&self, flow: LoginFlow, code: &str, redeemed: &Redeemed) -> AuthGrant {
        let scope = match flow {
            LoginFlow::LegacySdk => crate::request::LEGACY_SCOPE,
            _ => self.config.scope.as_str(),
        };
        AuthGrant::new(
            flow,
            self.config.client_id.clone(),
            self.config.platform,
            code.to_string(),
            scope.to_string(),
            redeemed.at_ms,
            &redeemed.state_hash,
        )
    }
}

fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::Authorized { .. } => "authorized",
        Outcome::Cancelled { .. } => "cancelled",
        Outcome::Denied { .. } => "denied",
        Outcome::AppIdentityMismatch { .. } => "app identity mismatch (key check error)",
        Outcome::Failed { .. } => "failed",
    }
}

/// Defines [`BackendResponse`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_backend_response {
    ($(#[$attr:meta])*) => {
        /// Your backend's 2xx answer to `submit`.
        $(#[$attr])*
        pub struct BackendResponse {
            /// The HTTP status (2xx).
            pub status: u16,
            /// The body, as UTF-8 text.
            pub body: String,
        }
    };
}
define_backend_response!(#[derive(Debug, Clone, PartialEq, Eq)]);
