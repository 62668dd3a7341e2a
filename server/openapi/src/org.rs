//! The organisation's side of DingTalk, as its internal app (企业内部应用) sees it: the app access
//! token and the `oapi` `topapi` contact endpoints it authorises.
//!
//! * `POST {api}/v1.0/oauth2/accessToken` `{"appKey","appSecret"}` → `{"accessToken","expireIn"}`
//!   (7200 s; "有效期内重复获取会返回相同结果并自动续期", and "开发者需要缓存access_token":
//!   https://open.dingtalk.com/document/orgapp/obtain-the-access_token-of-an-internal-app). For an
//!   internal app the AppKey is the ClientId and the AppSecret the ClientSecret.
//! * The same token authorises `POST {oapi}/topapi/…?access_token=` (errors are HTTP 200 with a
//!   non-zero `errcode`; 40014/42001 mean the token must be renewed).
//!
//! [`OrgClient`] keeps one token per app per process, optionally shared between instances through a
//! [`SharedTokenStore`] (the backend's Redis), renews it once (single-flight: concurrent callers wait
//! for the one renewal) a margin before it expires, and when DingTalk still refuses it, renews it
//! and retries the call once. The token is a [`Secret`]: never in a message or a log.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::legacy::oapi_envelope;
use super::v1::{v1_error, Endpoint};
use super::{parse_json, send, str_field, ClientCredentials, OpenApiClient, OpenApiError, Secret};

/// A boxed future, for the object-safe [`SharedTokenStore`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The answer of `/v1.0/oauth2/accessToken`. `Debug` redacts the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppToken {
    /// `accessToken`.
    pub access_token: Secret,
    /// `expireIn`, seconds.
    pub expire_in: u64,
}

/// Where the app token is shared between instances (so N instances do not each fetch it). Failures
/// are the store's to log; the client then fetches from DingTalk as if nothing were shared.
pub trait SharedTokenStore: Send + Sync {
    /// The token stored under `key` and when it expires (Unix milliseconds), if any.
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<(Secret, u64)>>;
    /// Stores `token` under `key` until `expires_at_ms` (the store sets the key's TTL from it).
    fn save<'a>(&'a self, key: &'a str, token: &'a Secret, expires_at_ms: u64)
        -> BoxFuture<'a, ()>;
}

impl OpenApiClient {
    /// Fetches the internal app's access token. Prefer [`OrgClient`], which caches it.
    pub async fn app_access_token(
        &self,
        creds: &ClientCredentials,
    ) -> Result<AppToken, OpenApiError> {
        if creds.client_id.is_empty() || creds.client_secret.is_empty() {
            return Err(OpenApiError::Config(
                "AppKey (ClientId) and AppSecret (ClientSecret) must not be empty".into(),
            ));
        }
        let body = serde_json::json!({
            "appKey": creds.client_id,
            "appSecret": creds.client_secret.expose(),
        });
        let raw = send(
            self.http
                .post(format!("{}/v1.0/oauth2/accessToken", self.api_base))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(&body).expect("a JSON object serialises")),
        )
        .await?;
        if !(200..300).contains(&raw.status) {
            return Err(v1_error(&raw, Endpoint::Other));
        }
        let json = parse_json(&raw)?;
        let expire_in = json
            .get("expireIn")
            .and_then(Value::as_u64)
            .ok_or_else(|| OpenApiError::MalformedJson {
                status: raw.status,
                reason: "`expireIn` is missing or not a non-negative integer".into(),
            })?;
        Ok(AppToken {
            access_token: Secret::new(str_field(&json, "accessToken", raw.status)?),
            expire_in,
        })
    }

    /// `POST {oapi}{path}?access_token=` with a JSON body: the `result` of a zero errcode.
    async fn topapi(
        &self,
        path: &str,
        token: &Secret,
        body: &Value,
    ) -> Result<Value, OpenApiError> {
        let raw = send(
            self.http
                .post(format!("{}{path}", self.oapi_base))
                .query(&[("access_token", token.expose())])
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(body).expect("a JSON object serialises")),
        )
        .await?;
        let (_, mut json) = oapi_envelope(&raw)?;
        Ok(json
            .get_mut("result")
            .map(Value::take)
            .unwrap_or(Value::Null))
    }
}

/// A member's details (`topapi/v2/user/get`, or one entry of `topapi/v2/user/list`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberDetails {
    /// `userid`.
    pub user_id: String,
    /// `unionid`, when DingTalk sent it.
    pub union_id: Option<String>,
    /// `name`.
    pub name: String,
    /// `title` (empty when unset).
    pub title: String,
    /// `dept_id_list`.
    pub department_ids: Vec<u64>,
    /// `admin`.
    pub admin: bool,
    /// `active`.
    pub active: bool,
    /// `avatar`.
    pub avatar: Option<String>,
    /// `mobile` (personal data).
    pub mobile: Option<String>,
    /// `email` (personal data).
    pub email: Option<String>,
    /// `job_number` (personal data).
    pub job_number: Option<String>,
}

/// The user behind a free-login code (`topapi/v2/user/getuserinfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreeLoginUser {
    /// `userid`.
    pub user_id: String,
    /// `unionid`.
    pub union_id: String,
    /// `name`.
    pub name: String,
    /// `sys`: an administrator.
    pub sys: bool,
    /// `sys_level`: 1 main administrator, 2 sub-administrator, 100 boss, 0 others.
    pub sys_level: i64,
}

/// One sub-department (`topapi/v2/department/listsub`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepartmentEntry {
    /// `dept_id`.
    pub dept_id: u64,
    /// `parent_id`.
    pub parent_id: u64,
    /// `name`.
    pub name: String,
}

/// One page of `topapi/v2/user/list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberPage {
    /// The members on this page.
    pub members: Vec<MemberDetails>,
    /// The cursor of the next page, `None` on the last one.
    pub next_cursor: Option<u64>,
}

struct Cached {
    token: Secret,
    /// Unix milliseconds.
    expires_at_ms: u64,
}

/// The organisation's endpoints with the app token managed: cached per process (and in the
/// [`SharedTokenStore`] when given), renewed single-flight `margin` before expiry, renewed and
/// retried once when DingTalk refuses it. Cheap to share behind an `Arc`.
pub struct OrgClient {
    client: OpenApiClient,
    creds: ClientCredentials,
    shared: Option<Arc<dyn SharedTokenStore>>,
    margin: Duration,
    cache: tokio::sync::Mutex<Option<Cached>>,
}

impl std::fmt::Debug for OrgClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrgClient")
            .field("client_id", &self.creds.client_id)
            .field("shared", &self.shared.is_some())
            .field("margin", &self.margin)
            .finish()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl OrgClient {
    /// An organisation client for the internal app `creds` (its AppKey is the ClientId). The token is
    /// renewed 5 minutes before DingTalk's expiry.
    pub fn new(
        client: OpenApiClient,
        creds: ClientCredentials,
        shared: Option<Arc<dyn SharedTokenStore>>,
    ) -> Self {
        OrgClient {
            client,
            creds,
            shared,
            margin: Duration::from_secs(300),
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// Renews the token this long before it expires instead of 5 minutes.
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The shared-store key of this app's token: the AppKey, never the secret.
    pub fn shared_key(&self) -> String {
        format!("dingtalk-auth:app-token:{}", self.creds.client_id)
    }

    /// A valid token. `rejected`: the token DingTalk just refused, which must not be handed out
    /// again. One caller renews at a time; the others wait for it and reuse its answer.
    async fn token(&self, rejected: Option<&Secret>) -> Result<Secret, OpenApiError> {
        let mut cache = self.cache.lock().await;
        let fresh_enough = |c: &Cached| c.expires_at_ms > now_ms() + self.margin.as_millis() as u64;
        if let Some(c) = cache.as_ref() {
            if fresh_enough(c) && Some(&c.token) != rejected {
                return Ok(c.token.clone());
            }
        }
        let key = self.shared_key();
        if let Some(shared) = &self.shared {
            if let Some((token, expires_at_ms)) = shared.load(&key).await {
                let c = Cached {
                    token,
                    expires_at_ms,
                };
                if fresh_enough(&c) && Some(&c.token) != rejected {
                    let t = c.token.clone();
                    *cache = Some(c);
                    return Ok(t);
                }
            }
        }
        let t = self.client.app_access_token(&self.creds).await?;
        let c = Cached {
            token: t.access_token,
            expires_at_ms: now_ms() + t.expire_in * 1000,
        };
        if let Some(shared) = &self.shared {
            shared.save(&key, &c.token, c.expires_at_ms).await;
        }
        let token = c.token.clone();
        *cache = Some(c);
        Ok(token)
    }

    /// A `topapi` call with the app token; a refused token is renewed and the call retried once.
    async fn call(&self, path: &str, body: Value) -> Result<Value, OpenApiError> {
        let token = self.token(None).await?;
        match self.client.topapi(path, &token, &body).await {
            Err(OpenApiError::AppTokenRejected { .. }) => {
                let renewed = self.token(Some(&token)).await?;
                self.client.topapi(path, &renewed, &body).await
            }
            other => other,
        }
    }

    /// unionId → the member's userid (`topapi/user/getbyunionid`); `None` when DingTalk answers
    /// 60121: the account is not in the organisation's contacts.
    pub async fn user_id_by_union_id(
        &self,
        union_id: &str,
    ) -> Result<Option<String>, OpenApiError> {
        match self
            .call(
                "/topapi/user/getbyunionid",
                serde_json::json!({"unionid": union_id}),
            )
            .await
        {
            Ok(result) => Ok(Some(str_field(&result, "userid", 200)?)),
            Err(OpenApiError::Legacy { errcode: 60121, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A member's details (`topapi/v2/user/get`); `None` when the userid no longer exists (60121).
    pub async fn member(&self, user_id: &str) -> Result<Option<MemberDetails>, OpenApiError> {
        match self
            .call(
                "/topapi/v2/user/get",
                serde_json::json!({"userid": user_id, "language": "zh_CN"}),
            )
            .await
        {
            Ok(result) => Ok(Some(member_details(&result)?)),
            Err(OpenApiError::Legacy { errcode: 60121, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The user behind a free-login code of `dd.requestAuthCode` (`topapi/v2/user/getuserinfo`).
    /// An unknown, expired or reused code is [`OpenApiError::CodeInvalid`].
    pub async fn free_login_user(&self, code: &str) -> Result<FreeLoginUser, OpenApiError> {
        let r = self
            .call(
                "/topapi/v2/user/getuserinfo",
                serde_json::json!({"code": code}),
            )
            .await?;
        Ok(FreeLoginUser {
            user_id: str_field(&r, "userid", 200)?,
            union_id: str_field(&r, "unionid", 200)?,
            name: str_field(&r, "name", 200)?,
            sys: r.get("sys").and_then(Value::as_bool).unwrap_or(false),
            sys_level: r.get("sys_level").and_then(Value::as_i64).unwrap_or(0),
        })
    }

    /// The direct sub-departments of `dept_id` (`topapi/v2/department/listsub`; the root is 1).
    pub async fn sub_departments(
        &self,
        dept_id: u64,
    ) -> Result<Vec<DepartmentEntry>, OpenApiError> {
        let r = self
            .call(
                "/topapi/v2/department/listsub",
                serde_json::json!({"dept_id": dept_id}),
            )
            .await?;
        let list = r
            .as_array()
            .ok_or_else(|| malformed("`result` is not a list"))?;
        list.iter()
            .map(|d| {
                Ok(DepartmentEntry {
                    dept_id: d
                        .get("dept_id")
                        .and_then(Value::as_u64)
                        .ok_or_else(|| malformed("`dept_id` is missing"))?,
                    parent_id: d
                        .get("parent_id")
                        .and_then(Value::as_u64)
                        .unwrap_or(dept_id),
                    name: str_field(d, "name", 200)?,
                })
            })
            .collect()
    }

    /// One page (at most `size` ≤ 100) of the members of `dept_id` (`topapi/v2/user/list`).
    pub async fn members_page(
        &self,
        dept_id: u64,
        cursor: u64,
        size: u64,
    ) -> Result<MemberPage, OpenApiError> {
        let r = self
            .call(
                "/topapi/v2/user/list",
                serde_json::json!({"dept_id": dept_id, "cursor": cursor, "size": size.clamp(1, 100)}),
            )
            .await?;
        let list = r
            .get("list")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("`result.list` is missing"))?;
        let members = list.iter().map(member_details).collect::<Result<_, _>>()?;
        let has_more = r.get("has_more").and_then(Value::as_bool).unwrap_or(false);
        let next_cursor = if has_more {
            Some(
                r.get("next_cursor")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| malformed("`has_more` without `next_cursor`"))?,
            )
        } else {
            None
        };
        Ok(MemberPage {
            members,
            next_cursor,
        })
    }
}

fn malformed(reason: &str) -> OpenApiError {
    OpenApiError::MalformedJson {
        status: 200,
        reason: reason.into(),
    }
}

fn opt_string(v: &Value, name: &str) -> Option<String> {
    v.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn member_details(v: &Value) -> Result<MemberDetails, OpenApiError> {
    Ok(MemberDetails {
        user_id: str_field(v, "userid", 200)?,
        union_id: opt_string(v, "unionid"),
        name: str_field(v, "name", 200)?,
        title: opt_string(v, "title").unwrap_or_default(),
        department_ids: v
            .get("dept_id_list")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default(),
        admin: v.get("admin").and_then(Value::as_bool).unwrap_or(false),
        // A member without the field is taken as inactive: admitting one is the riskier mistake.
        active: v.get("active").and_then(Value::as_bool).unwrap_or(false),
        avatar: opt_string(v, "avatar"),
        mobile: opt_string(v, "mobile"),
        email: opt_string(v, "email"),
        job_number: opt_string(v, "job_number"),
    })
}

/// The permission points named in a 60011 message (after `权限点：`/`权限点:`), e.g.
/// `qyapi_get_member`.
pub(crate) fn permission_points(message: &str) -> Vec<String> {
    let Some(at) = message.find("权限点") else {
        return Vec::new();
    };
    message[at + "权限点".len()..]
        .trim_start_matches([':', '：', ' '])
        .split([',', '，', '、', ' ', ']', ')'])
        .take_while(|p| !p.is_empty())
        .filter(|p| {
            p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        })
        .map(str::to_owned)
        .collect()
}

/// The IP DingTalk names in a 60020 message (`…request ip=1.2.3.4`, `from ip: 1.2.3.4`).
pub(crate) fn ip_in_message(message: &str) -> Option<String> {
    let lower = message.to_ascii_lowercase();
    let at = lower
        .find("ip=")
        .map(|i| i + 3)
        .or_else(|| lower.find("ip:").map(|i| i + 3))?;
    let ip: String = message[at..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == '.' || *c == ':')
        .collect();
    (!ip.is_empty()).then_some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_points_and_ips_are_found_in_messages() {
        assert_eq!(
            permission_points(
                "没有调用该接口的权限，接口权限申请参考：https://x，权限点：qyapi_get_member"
            ),
            vec!["qyapi_get_member"]
        );
        assert!(permission_points("没有调用该接口的权限").is_empty());
        assert_eq!(
            ip_in_message("访问ip不在白名单之中,request ip=203.0.113.7").as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            ip_in_message("not allow to access from your ip, from ip: 198.51.100.2").as_deref(),
            Some("198.51.100.2")
        );
        assert_eq!(ip_in_message("no address here"), None);
    }

    #[test]
    fn member_without_active_is_inactive() {
        let m = member_details(&serde_json::json!({"userid": "u", "name": "n"})).unwrap();
        assert!(!m.active);
        assert!(member_details(&serde_json::json!({"name": "n"})).is_err());
    }
}
