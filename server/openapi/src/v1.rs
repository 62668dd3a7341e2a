//! `POST {api}/v1.0/oauth2/userAccessToken` and `GET {api}/v1.0/contact/users/me`.

use super::{
    opt_str_field, parse_json, send, str_field, ApiError, ClientCredentials, OpenApiClient,
    OpenApiError, RateLimit, RawResponse, Secret,
};

/// The answer of `userAccessToken`. `Debug` redacts the tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserAccessToken {
    /// `accessToken`, for `x-acs-dingtalk-access-token`.
    pub access_token: Secret,
    /// `refreshToken` (valid 30 days).
    pub refresh_token: Secret,
    /// `expireIn`, seconds (7200 in production).
    pub expire_in: u64,
    /// `corpId`: only present when the login asked for scope `openid corpid`.
    pub corp_id: Option<String>,
}

/// The answer of `contact/users/me`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactUser {
    /// `nick`.
    pub nick: String,
    /// `unionId`.
    pub union_id: String,
    /// `openId`.
    pub open_id: String,
    /// `avatarUrl`.
    pub avatar_url: Option<String>,
    /// `mobile` (needs the matching permission).
    pub mobile: Option<String>,
    /// `email` (needs the matching permission).
    pub email: Option<String>,
    /// `stateCode` (phone country code).
    pub state_code: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Token,
    Other,
}

impl OpenApiClient {
    /// Exchanges an authorization code (new SDK or browser flow) for a user access token.
    pub async fn user_access_token(
        &self,
        creds: &ClientCredentials,
        code: &str,
    ) -> Result<UserAccessToken, OpenApiError> {
        self.token_request(
            creds,
            serde_json::json!({
                "clientId": creds.client_id,
                "clientSecret": creds.client_secret.expose(),
                "code": code,
                "grantType": "authorization_code",
            }),
        )
        .await
    }

    /// Uses a refresh token to obtain a new user access token.
    pub async fn refresh_user_access_token(
        &self,
        creds: &ClientCredentials,
        refresh_token: &Secret,
    ) -> Result<UserAccessToken, OpenApiError> {
        self.token_request(
            creds,
            serde_json::json!({
                "clientId": creds.client_id,
                "clientSecret": creds.client_secret.expose(),
                "refreshToken": refresh_token.expose(),
                "grantType": "refresh_token",
            }),
        )
        .await
    }

    async fn token_request(
        &self,
        creds: &ClientCredentials,
        body: serde_json::Value,
    ) -> Result<UserAccessToken, OpenApiError> {
        if creds.client_id.is_empty() || creds.client_secret.is_empty() {
            return Err(OpenApiError::Config(
                "ClientId and ClientSecret must not be empty".into(),
            ));
        }
        let raw = send(
            self.http
                .post(format!("{}/v1.0/oauth2/userAccessToken", self.api_base))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(&body).expect("a JSON object serialises")),
        )
        .await?;
        parse_token_answer(&raw)
    }

    /// Reads the signed-in user's profile with a user access token.
    pub async fn contact_users_me(
        &self,
        access_token: &Secret,
    ) -> Result<ContactUser, OpenApiError> {
        let raw = send(
            self.http
                .get(format!("{}/v1.0/contact/users/me", self.api_base))
                .header("x-acs-dingtalk-access-token", access_token.expose()),
        )
        .await?;
        parse_me_answer(&raw)
    }
}

/// DingTalk's gateway can answer a v1.0 call with a legacy-style rate-limit body
/// (`{"errcode":90002,"errmsg":…}`, any HTTP status): the same rate limit as on the legacy host
/// (retryable; the code was not looked at).
fn legacy_rate_limit(json: &serde_json::Value) -> Option<OpenApiError> {
    let errcode = json.get("errcode")?.as_i64()?;
    let message = json
        .get("errmsg")
        .and_then(|m| m.as_str())
        .unwrap_or_default()
        .to_owned();
    match super::legacy::map_errcode(errcode, message, json) {
        e @ OpenApiError::RateLimited { .. } => Some(e),
        _ => None,
    }
}

/// Turns a non-2xx v1.0 answer into a typed error.
pub(crate) fn v1_error(raw: &RawResponse, endpoint: Endpoint) -> OpenApiError {
    let status = raw.status;
    let json = match parse_json(raw) {
        Ok(v) => Some(v),
        Err(e @ OpenApiError::NonJson { html: true, .. }) => return e,
        Err(_) if status >= 500 => None,
        Err(e) => return e,
    };
    if let Some(e) = json.as_ref().and_then(legacy_rate_limit) {
        return e;
    }
    let field = |name: &str| {
        json.as_ref()
            .and_then(|j| j.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let code = field("code");
    let message = field("message");
    let limit = match code.as_deref() {
        Some("Forbidden.AccessDenied.QpsLimitForApi") => Some(RateLimit::PerApi),
        Some("Forbidden.AccessDenied.QpsLimitForAppkeyAndApi") => Some(RateLimit::PerAppAndApi),
        Some("Forbidden.AccessDenied.ApiCountLimitForOrg") => Some(RateLimit::MonthlyQuota),
        Some(c) if c.starts_with("Throttling") => Some(RateLimit::Throttled),
        _ if status == 429 => Some(RateLimit::Throttled),
        _ => None,
    };
    if let Some(limit) = limit {
        return OpenApiError::RateLimited {
            limit,
            errcode: None,
            message: match (code, message) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (c, m) => m.or(c).unwrap_or_default(),
            },
        };
    }
    if status >= 500 {
        return OpenApiError::ServerError {
            status,
            code,
            message,
        };
    }
    let err = ApiError {
        status,
        code: code.unwrap_or_default(),
        message: message.unwrap_or_default(),
        request_id: field("requestid").or_else(|| field("requestId")),
    };
    // A missing permission names what to grant: `requiredScopes`, at the top level or under
    // `accessdenieddetail` (the nesting is how public reports show it; both are read).
    if err.code == "Forbidden.AccessDenied.AccessTokenPermissionDenied" {
        let scopes = json.as_ref().and_then(|j| {
            j.get("requiredScopes")
                .or_else(|| j.get("accessdenieddetail")?.get("requiredScopes"))
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
        });
        return OpenApiError::MissingPermission {
            required: scopes.unwrap_or_default(),
            message: err.to_string(),
        };
    }
    // The app's credentials or permissions, not the code: the code is still unused.
    if err.code == "invalidClientIdOrSecret" || err.code.starts_with("Forbidden.AccessDenied.") {
        return OpenApiError::Credentials(err);
    }
    // Any other 4xx from the token endpoint (except 403, a gateway refusal) judges the grant itself:
    // DingTalk documents no code for a bad auth code.
    if endpoint == Endpoint::Token && (400..500).contains(&status) && status != 403 {
        OpenApiError::InvalidGrant(err)
    } else {
        OpenApiError::Api(err)
    }
}

pub(crate) fn parse_token_answer(raw: &RawResponse) -> Result<UserAccessToken, OpenApiError> {
    if !(200..300).contains(&raw.status) {
        return Err(v1_error(raw, Endpoint::Token));
    }
    let status = raw.status;
    let json = parse_json(raw)?;
    if let Some(e) = legacy_rate_limit(&json) {
        return Err(e);
    }
    let expire_in = match json.get("expireIn") {
        Some(v) => v.as_u64().ok_or_else(|| OpenApiError::MalformedJson {
            status,
            reason: "`expireIn` is not a non-negative integer".into(),
        })?,
        None => {
            return Err(OpenApiError::MalformedJson {
                status,
                reason: "field `expireIn` is missing".into(),
            })
        }
    };
    Ok(UserAccessToken {
        access_token: Secret::new(str_field(&json, "accessToken", status)?),
        refresh_token: Secret::new(str_field(&json, "refreshToken", status)?),
        expire_in,
        corp_id: opt_str_field(&json, "corpId", status)?.filter(|c| !c.is_empty()),
    })
}

pub(crate) fn parse_me_answer(raw: &RawResponse) -> Result<ContactUser, OpenApiError> {
    if !(200..300).contains(&raw.status) {
        return Err(v1_error(raw, Endpoint::Other));
    }
    let status = raw.status;
    let json = parse_json(raw)?;
    if let Some(e) = legacy_rate_limit(&json) {
        return Err(e);
    }
    Ok(ContactUser {
        nick: str_field(&json, "nick", status)?,
        union_id: str_field(&json, "unionId", status)?,
        open_id: str_field(&json, "openId", status)?,
        avatar_url: opt_str_field(&json, "avatarUrl", status)?,
        mobile: opt_str_field(&json, "mobile", status)?,
        email: opt_str_field(&json, "email", status)?,
        state_code: opt_str_field(&json, "stateCode", status)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status,
            content_type: Some("application/json;charset=utf-8".into()),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn token_answer_keeps_corp_id_and_redacts_tokens() {
        let t = parse_token_answer(&raw(
            200,
            r#"{"accessToken":"at-123","refreshToken":"rt-456","expireIn":7200,"corpId":"ding123"}"#,
        ))
        .unwrap();
        assert_eq!(t.access_token.expose(), "at-123");
        assert_eq!(t.expire_in, 7200);
        assert_eq!(t.corp_id.as_deref(), Some("ding123"));
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("at-123") && !dbg.contains("rt-456"), "{dbg}");
        let t = parse_token_answer(&raw(
            200,
            r#"{"accessToken":"a","refreshToken":"r","expireIn":7200}"#,
        ))
        .unwrap();
        assert_eq!(t.corp_id, None);
    }

    #[test]
    fn token_errors_are_invalid_grant() {
        let e = parse_token_answer(&raw(
            400,
            r#"{"code":"invalidAuthCode","message":"bad code","requestid":"R1"}"#,
        ))
        .unwrap_err();
        assert_eq!(
            e,
            OpenApiError::InvalidGrant(ApiError {
                status: 400,
                code: "invalidAuthCode".into(),
                message: "bad code".into(),
                request_id: Some("R1".into()),
            })
        );
        assert!(matches!(
            parse_token_answer(&raw(
                429,
                r#"{"code":"Throttling.Api","message":"slow down"}"#
            )),
            Err(OpenApiError::RateLimited {
                limit: RateLimit::Throttled,
                ..
            })
        ));
        assert!(matches!(
            parse_token_answer(&raw(503, "oops")),
            Err(OpenApiError::ServerError { status: 503, .. })
        ));
        assert!(matches!(
            parse_token_answer(&raw(200, r#"{"accessToken":"a","expireIn":7200}"#)),
            Err(OpenApiError::MalformedJson { .. })
        ));
        let html = RawResponse {
            status: 403,
            content_type: Some("text/html".into()),
            body: b"<html>denied</html>".to_vec(),
        };
        assert!(matches!(
            parse_token_answer(&html),
            Err(OpenApiError::NonJson {
                status: 403,
                html: true,
                ..
            })
        ));
    }

    #[test]
    fn me_answer_and_errors() {
        let u = parse_me_answer(&raw(
            200,
            r#"{"nick":"n","avatarUrl":"https://a/b.png","mobile":"150","openId":"o","unionId":"u","email":"e@x","stateCode":"86"}"#,
        ))
        .unwrap();
        assert_eq!(u.union_id, "u");
        assert_eq!(u.avatar_url.as_deref(), Some("https://a/b.png"));
        let e = parse_me_answer(&raw(
            401,
            r#"{"code":"InvalidAuthentication","message":"不合法的access_token","requestid":"R"}"#,
        ))
        .unwrap_err();
        assert!(
            matches!(&e, OpenApiError::Api(a) if a.code == "InvalidAuthentication" && a.status == 401)
        );
    }

    #[test]
    fn rate_limits_and_credentials_are_not_a_verdict_on_the_code() {
        let limit = |status, code: &str| {
            let body = format!(r#"{{"code":"{code}","message":"m","requestid":"R"}}"#);
            match parse_token_answer(&raw(status, &body)).unwrap_err() {
                OpenApiError::RateLimited { limit, .. } => Some(limit),
                _ => None,
            }
        };
        assert_eq!(
            limit(403, "Forbidden.AccessDenied.QpsLimitForApi"),
            Some(RateLimit::PerApi)
        );
        assert_eq!(
            limit(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"),
            Some(RateLimit::PerAppAndApi)
        );
        assert_eq!(
            limit(403, "Forbidden.AccessDenied.ApiCountLimitForOrg"),
            Some(RateLimit::MonthlyQuota)
        );
        assert_eq!(limit(429, "Whatever"), Some(RateLimit::Throttled));
        let e = parse_token_answer(&raw(
            400,
            r#"{"code":"invalidClientIdOrSecret","message":"无效的clientId或者clientSecret"}"#,
        ))
        .unwrap_err();
        assert!(
            matches!(&e, OpenApiError::Credentials(a) if a.status == 400),
            "{e:?}"
        );
        let e = parse_me_answer(&raw(
            403,
            r#"{"code":"Forbidden.AccessDenied.AccessTokenPermissionDenied","message":"no","accessdenieddetail":{"requiredScopes":["qyapi_get_member"]}}"#,
        ))
        .unwrap_err();
        assert!(
            matches!(&e, OpenApiError::MissingPermission { required, .. } if required == &["qyapi_get_member"]),
            "{e:?}"
        );
        let hint = e.operator_hint().unwrap();
        assert!(hint.contains("qyapi_get_member"), "{hint}");
        assert!(
            !e.to_string().contains("qyapi_get_member"),
            "not in the app-facing text"
        );
        // A 403 the client does not know is not taken as a verdict on the code.
        let e =
            parse_token_answer(&raw(403, r#"{"code":"SomethingNew","message":"m"}"#)).unwrap_err();
        assert!(matches!(e, OpenApiError::Api(_)), "{e:?}");
        // The documented ban answer.
        let e = parse_token_answer(&raw(
            200,
            r#"{"status":1111,"wait":5,"source":"x5","punish":"deny","uuid":"u"}"#,
        ))
        .unwrap_err();
        assert_eq!(
            e,
            OpenApiError::IpBanned {
                status: 200,
                wait_minutes: Some(5)
            }
        );
        assert!(e.is_retryable());
    }
}
