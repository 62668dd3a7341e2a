//! Members of the operator's organisation (an internal app, 企业内部应用): after DingTalk said who
//! logged in (a unionId), the organisation says whether that account is one of its members, and who
//! the member is.
//!
//! * unionId → userid: `topapi/user/getbyunionid`; errcode 60121 ("找不到该用户") means the account
//!   is not in the organisation's contacts: 403 `not_org_member` when membership is required (the
//!   default whenever a corp id is configured). A DingTalk login by itself proves no membership.
//! * details: `topapi/v2/user/get` → the `member` of the answer: corpId, userId, name, title,
//!   departmentIds, admin, active; mobile, email and job number only when the operator enables each
//!   (personal data). A member marked inactive is refused like an outsider. Nothing is cached: the
//!   check runs at each login, so a member who left cannot log in again.
//! * a login costs the calls it needs: no details call when the operator asked for membership only.
//!
//! Docs: https://open.dingtalk.com/document/orgapp/query-a-user-by-the-union-id,
//! https://open.dingtalk.com/document/orgapp/query-user-details.

use std::sync::Arc;
use std::time::Duration;

use dingtalk_auth::OrgMember;
use dingtalk_openapi::{
    BoxFuture, ClientCredentials, MemberDetails, OpenApiClient, OpenApiError, OrgClient, Secret,
    SharedTokenStore,
};

use crate::config::{BackendConfig, ReplayStoreConfig};
use crate::error::{ApiError, ErrorCode};

/// Which personal fields of a member the answer may carry (each off by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PersonalFields {
    /// `mobile`.
    pub mobile: bool,
    /// `email`.
    pub email: bool,
    /// `jobNumber`.
    pub job_number: bool,
}

/// The operator's organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgConfig {
    /// The organisation's CorpId: the `corpId` of every `member`.
    pub corp_id: String,
    /// Refuse accounts that are not members (403 `not_org_member`). Default: true.
    pub require_membership: bool,
    /// Read the member's details (one more call per login). Default: true; false answers
    /// `member: {corpId, userId}` only.
    pub details: bool,
    /// Personal fields added to `member`.
    pub personal: PersonalFields,
}

impl OrgConfig {
    /// Membership required, details read, no personal field.
    pub fn new(corp_id: impl Into<String>) -> Self {
        OrgConfig {
            corp_id: corp_id.into(),
            require_membership: true,
            details: true,
            personal: PersonalFields::default(),
        }
    }
}

/// `serve` flags for the organisation.
#[derive(clap::Args, Debug, Default)]
pub struct OrgArgs {
    /// The organisation's CorpId: logins are resolved to its members (the internal app's AppKey and
    /// AppSecret are DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET). Membership is then required.
    #[arg(long, env = "DINGTALK_CORP_ID")]
    pub corp_id: Option<String>,
    /// Admit accounts that are not members of the organisation (they get no `member`).
    #[arg(long, env = "DINGTALK_ALLOW_NON_MEMBERS")]
    pub allow_non_members: bool,
    /// Check membership only: no details call, `member` is `{corpId, userId}`.
    #[arg(long, env = "DINGTALK_MEMBERSHIP_ONLY")]
    pub membership_only: bool,
    /// Personal fields to add to `member`: any of mobile, email, job_number (comma-separated).
    #[arg(long, env = "DINGTALK_MEMBER_PERSONAL_FIELDS", value_delimiter = ',')]
    pub member_personal_fields: Vec<String>,
}

impl OrgArgs {
    /// The organisation configuration, if a corp id is given.
    pub fn config(self) -> Result<Option<OrgConfig>, String> {
        let Some(corp_id) = self.corp_id.filter(|c| !c.is_empty()) else {
            if self.allow_non_members
                || self.membership_only
                || !self.member_personal_fields.is_empty()
            {
                return Err("the member options need --corp-id".into());
            }
            return Ok(None);
        };
        let mut personal = PersonalFields::default();
        for f in self.member_personal_fields.iter().filter(|f| !f.is_empty()) {
            match f.as_str() {
                "mobile" => personal.mobile = true,
                "email" => personal.email = true,
                "job_number" => personal.job_number = true,
                other => {
                    return Err(format!(
                    "--member-personal-fields: unknown field {other:?} (mobile, email, job_number)"
                ))
                }
            }
        }
        if self.membership_only && personal != PersonalFields::default() {
            return Err(
                "--member-personal-fields needs the details call: drop --membership-only".into(),
            );
        }
        Ok(Some(OrgConfig {
            corp_id,
            require_membership: !self.allow_non_members,
            details: !self.membership_only,
            personal,
        }))
    }
}

/// Resolves logins to members of the configured organisation.
pub(crate) struct Members {
    pub(crate) org: Arc<OrgClient>,
    pub(crate) config: OrgConfig,
}

/// What a resolution cost: DingTalk calls and their time, for the login's log line.
#[derive(Default, Clone, Copy)]
pub(crate) struct Cost {
    pub(crate) calls: u32,
    pub(crate) elapsed: Duration,
}

impl Members {
    /// The resolver the configuration asks for: `None` without a corp id. The internal app's AppKey
    /// and AppSecret are the v1.0 ClientId and ClientSecret; the token is shared through the replay
    /// store's Redis when there is one.
    pub(crate) fn for_config(
        cfg: &BackendConfig,
        client: &OpenApiClient,
    ) -> Result<Option<Members>, OpenApiError> {
        let Some(org) = &cfg.org else {
            return Ok(None);
        };
        let Some(creds) = &cfg.v1 else {
            return Err(OpenApiError::Config(
                "a corp id needs the internal app's AppKey and AppSecret as DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET".into(),
            ));
        };
        // Shared through a single Redis (redis://, rediss://); with a Cluster each instance keeps its
        // own token (the share is an optimisation, never needed for correctness).
        let shared: Option<Arc<dyn SharedTokenStore>> = match &cfg.replay_store {
            ReplayStoreConfig::Redis(r) if !r.url.contains("+cluster://") => Some(Arc::new(
                RedisTokenShare::new(&r.url, r.op_timeout).map_err(OpenApiError::Config)?,
            )),
            _ => None,
        };
        Ok(Some(Members::new(
            client.clone(),
            creds.clone(),
            org.clone(),
            shared,
        )))
    }

    pub(crate) fn new(
        client: OpenApiClient,
        creds: ClientCredentials,
        config: OrgConfig,
        shared: Option<Arc<dyn SharedTokenStore>>,
    ) -> Self {
        Members {
            org: Arc::new(OrgClient::new(client, creds, shared)),
            config,
        }
    }

    /// The `member` of the answer for the account `union_id`, `None` for an admitted non-member, or
    /// the refusal.
    pub(crate) async fn resolve(
        &self,
        union_id: &str,
        cost: &mut Cost,
    ) -> Result<Option<OrgMember>, ApiError> {
        let started = std::time::Instant::now();
        let r = self.resolve_inner(union_id, cost).await;
        cost.elapsed += started.elapsed();
        r
    }

    async fn resolve_inner(
        &self,
        union_id: &str,
        cost: &mut Cost,
    ) -> Result<Option<OrgMember>, ApiError> {
        cost.calls += 1;
        let user_id = self
            .org
            .user_id_by_union_id(union_id)
            .await
            .map_err(|e| operator_error(&e))?;
        let Some(user_id) = user_id else {
            return self.outsider("this DingTalk account is not a member of the organisation");
        };
        self.member_by_user_id(&user_id, cost).await
    }

    /// The `member` for a known userid (free login gives it directly).
    pub(crate) async fn member_by_user_id(
        &self,
        user_id: &str,
        cost: &mut Cost,
    ) -> Result<Option<OrgMember>, ApiError> {
        if !self.config.details {
            return Ok(Some(self.member(user_id.to_owned(), None)));
        }
        cost.calls += 1;
        let details = self
            .org
            .member(user_id)
            .await
            .map_err(|e| operator_error(&e))?;
        match details {
            None => self.outsider("this DingTalk account is not a member of the organisation"),
            Some(d) if !d.active => self.outsider("this member is not active in the organisation"),
            Some(d) => Ok(Some(self.member(d.user_id.clone(), Some(d)))),
        }
    }

    /// The current `member` of `user_id` for a session refresh: always the details call (a
    /// refresh must see `active`), and an outsider is refused even when logins admit non-members,
    /// since the token being refreshed was a member's.
    pub(crate) async fn still_member(
        &self,
        user_id: &str,
        cost: &mut Cost,
    ) -> Result<OrgMember, ApiError> {
        let started = std::time::Instant::now();
        cost.calls += 1;
        let details = self.org.member(user_id).await;
        cost.elapsed += started.elapsed();
        match details.map_err(|e| operator_error(&e))? {
            None => Err(ApiError::new(
                ErrorCode::NotOrgMember,
                "this account is no longer a member of the organisation",
            )),
            Some(d) if !d.active => Err(ApiError::new(
                ErrorCode::NotOrgMember,
                "this member is not active in the organisation",
            )),
            Some(d) => Ok(self.member(user_id.to_owned(), Some(d))),
        }
    }

    fn outsider(&self, message: &str) -> Result<Option<OrgMember>, ApiError> {
        if self.config.require_membership {
            Err(ApiError::new(ErrorCode::NotOrgMember, message))
        } else {
            Ok(None)
        }
    }

    /// The answer's `member` (the core's type, which writes it): the details when they were read,
    /// and of the personal fields only those the operator enabled.
    fn member(&self, user_id: String, details: Option<MemberDetails>) -> OrgMember {
        let p = self.config.personal;
        let d = details.as_ref();
        OrgMember {
            corp_id: self.config.corp_id.clone(),
            user_id,
            name: d.map(|d| d.name.clone()),
            title: d.map(|d| d.title.clone()),
            department_ids: d.map(|d| d.department_ids.clone()),
            admin: d.map(|d| d.admin),
            active: d.map(|d| d.active),
            mobile: d.and_then(|d| d.mobile.clone()).filter(|_| p.mobile),
            email: d.and_then(|d| d.email.clone()).filter(|_| p.email),
            job_number: d
                .and_then(|d| d.job_number.clone())
                .filter(|_| p.job_number),
        }
    }
}

/// The backend's error for a failed DingTalk call, and the operator's hint (which permission or
/// whitelist entry to add) in the log only: the answer carries the generic message.
pub(crate) fn operator_error(e: &OpenApiError) -> ApiError {
    if let Some(hint) = e.operator_hint() {
        tracing::error!(operator_action = hint.as_str(), error = %e, "DingTalk refused this app's setup");
    }
    ApiError::from_openapi(e)
}

/// The app token shared by every instance through the replay store's Redis: one small key per app
/// (`dingtalk-auth:app-token:<AppKey>`, no secret in the key) whose TTL is the token's remaining
/// life. Redis trouble is logged and the instance falls back to its own copy.
pub(crate) struct RedisTokenShare {
    client: redis::Client,
    conn: tokio::sync::OnceCell<redis::aio::ConnectionManager>,
    op_timeout: Duration,
}

impl RedisTokenShare {
    pub(crate) fn new(url: &str, op_timeout: Duration) -> Result<Self, String> {
        Ok(RedisTokenShare {
            client: redis::Client::open(url).map_err(|e| format!("Redis URL: {e}"))?,
            conn: tokio::sync::OnceCell::new(),
            op_timeout,
        })
    }

    async fn op<T, F, Fut>(&self, f: F) -> Option<T>
    where
        F: FnOnce(redis::aio::ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let run = async {
            let con = self
                .conn
                .get_or_try_init(|| redis::aio::ConnectionManager::new(self.client.clone()))
                .await?
                .clone();
            f(con).await
        };
        match tokio::time::timeout(self.op_timeout, run).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "app token not shared through Redis");
                None
            }
            Err(_) => {
                tracing::warn!("app token not shared through Redis: timeout");
                None
            }
        }
    }
}

impl SharedTokenStore for RedisTokenShare {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<(Secret, u64)>> {
        Box::pin(async move {
            let v: Option<String> = self
                .op(|mut c| async move { redis::AsyncCommands::get(&mut c, key).await })
                .await?;
            let v = v?;
            let (exp, token) = v.split_once(':')?;
            Some((Secret::new(token), exp.parse().ok()?))
        })
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        token: &'a Secret,
        expires_at_ms: u64,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            let ttl = expires_at_ms.saturating_sub(now).max(1);
            let value = format!("{expires_at_ms}:{}", token.expose());
            let _: Option<()> =
                self.op(|mut c| async move {
                    redis::AsyncCommands::pset_ex(&mut c, key, value, ttl).await
                })
                .await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(corp: Option<&str>, fields: &[&str]) -> OrgArgs {
        OrgArgs {
            corp_id: corp.map(str::to_owned),
            member_personal_fields: fields.iter().map(|f| f.to_string()).collect(),
            ..OrgArgs::default()
        }
    }

    #[test]
    fn member_options_are_checked() {
        assert_eq!(args(None, &[]).config(), Ok(None));
        assert!(args(None, &["mobile"]).config().is_err(), "needs a corp id");
        assert!(args(Some("c"), &["phone"]).config().is_err());
        let c = args(Some("c"), &["mobile", "job_number"])
            .config()
            .unwrap()
            .unwrap();
        assert!(c.require_membership && c.details);
        assert_eq!(
            c.personal,
            PersonalFields {
                mobile: true,
                email: false,
                job_number: true
            }
        );
        let only = OrgArgs {
            membership_only: true,
            ..args(Some("c"), &["email"])
        };
        assert!(
            only.config().is_err(),
            "personal fields need the details call"
        );
    }
}
