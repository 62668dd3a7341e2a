//! The organisation side of the fake: the app access token of an internal app (企业内部应用) and the
//! `oapi` contact endpoints that take it as `?access_token=`.
//!
//! DingTalk's documentation (open.dingtalk.com/document/orgapp/…):
//! * `POST /v1.0/oauth2/accessToken` `{"appKey","appSecret"}` → `{"accessToken","expireIn":7200}`;
//!   while a token is valid DingTalk hands back the same one
//!   (https://open.dingtalk.com/document/orgapp/obtain-the-access_token-of-an-internal-app).
//! * `POST /topapi/user/getbyunionid` `{"unionid"}` → `result.userid`, `result.contact_type`; errcode
//!   60121 "找不到该用户" when the unionId is not in the organisation's contacts
//!   (https://open.dingtalk.com/document/orgapp/query-a-user-by-the-union-id).
//! * `POST /topapi/v2/user/get` `{"userid","language"}` → name, title, `dept_id_list`, admin, active,
//!   avatar, mobile, email, job_number (https://open.dingtalk.com/document/orgapp/query-user-details).
//! * `POST /topapi/v2/user/getuserinfo` `{"code"}` → `result.userid`, `unionid`, `name`, `sys`,
//!   `sys_level`: the free-login code of `dd.requestAuthCode`, valid 5 minutes, once
//!   (https://open.dingtalk.com/document/orgapp/obtain-the-userid-of-a-user-by-using-the-log-free).
//! * `POST /topapi/v2/department/listsub` `{"dept_id"}` → `result: [{dept_id, name, parent_id}]`
//!   (https://open.dingtalk.com/document/orgapp/obtain-the-department-list-v2).
//! * `POST /topapi/v2/user/list` `{"dept_id","cursor","size"≤100}` → `result.list`, `has_more`,
//!   `next_cursor` (https://open.dingtalk.com/document/orgapp/queries-the-complete-information-of-a-department-user).
//!
//! Failures, each in DingTalk's format:
//! * an unknown or expired `access_token`: errcode 40014 "不合法的access_token" (an expired one is
//!   reported the same way; DingTalk's 42001 "access_token超时" exists in the global table too);
//! * a missing permission: errcode 60011 "没有调用该接口的权限…" (seen in public reports, e.g.
//!   github.com/capricornxl/ad-password-self-service/issues/13); the name of the permission point in
//!   the message (`"…，权限点：qyapi_get_member"`) is assumed;
//! * a server IP not on the app's whitelist: errcode 60020 "访问ip不在白名单之中,request ip=…"
//!   (the message text is assumed, the code is DingTalk's);
//! * 20 calls/s per app per API: errcode 90018 (open.dingtalk.com "如何处理钉钉服务端API限流");
//! * a free-login code that is unknown, expired or reused: errcode 40078 "不存在的临时授权码" (the
//!   same code the legacy SNS exchange answers; DingTalk does not document the one of getuserinfo,
//!   so it is assumed).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::Ordering;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{json_response, legacy_err, random_hex, v1_err, FakeDingTalk};

/// A department of the fake organisation.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FakeDept {
    /// `dept_id` (the root is 1).
    pub dept_id: u64,
    /// `parent_id` (the root has none).
    pub parent_id: Option<u64>,
    /// `name`.
    pub name: String,
}

/// A member of the fake organisation.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FakeMember {
    /// `userid`, unique inside the organisation.
    pub userid: String,
    /// `unionid`, the account across organisations.
    pub unionid: String,
    /// `name`.
    pub name: String,
    /// `title`.
    pub title: String,
    /// `dept_id_list`.
    pub dept_id_list: Vec<u64>,
    /// `admin`.
    pub admin: bool,
    /// `active`: false for a member who has not activated DingTalk or was disabled.
    pub active: bool,
    /// `mobile`.
    pub mobile: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `job_number`.
    pub job_number: Option<String>,
}

/// The seeded organisation.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FakeOrg {
    /// `corpId`.
    pub corp_id: String,
    /// Departments, the root (1) included.
    pub departments: Vec<FakeDept>,
    /// Members.
    pub members: Vec<FakeMember>,
}

impl Default for FakeOrg {
    /// One department (the root) and the fake's default user as its member.
    fn default() -> Self {
        let u = super::FakeUser::default();
        FakeOrg {
            corp_id: u.corp_id.clone().unwrap_or_default(),
            departments: vec![FakeDept {
                dept_id: 1,
                parent_id: None,
                name: "Fake Corp".into(),
            }],
            members: vec![FakeMember {
                userid: "fakeUserId0001".into(),
                unionid: u.union_id,
                name: "张三".into(),
                title: "Engineer".into(),
                dept_id_list: vec![1],
                admin: false,
                active: true,
                mobile: Some("13800000000".into()),
                email: Some("zhangsan@example.com".into()),
                job_number: Some("E0001".into()),
            }],
        }
    }
}

impl FakeOrg {
    /// A deterministic organisation of `departments` departments (root included; a tree of fan-out
    /// `fanout`) and `members` members; every 10th member also belongs to a second department.
    pub fn seeded(corp_id: &str, departments: u64, members: u64, fanout: u64) -> Self {
        let departments = departments.max(1);
        let fanout = fanout.max(1);
        let mut depts = vec![FakeDept {
            dept_id: 1,
            parent_id: None,
            name: "Root".into(),
        }];
        // Ids 2..=departments; the parent of the i-th (0-based over non-root) is the
        // (i / fanout)-th in breadth-first order, so the tree is fanout-ary.
        for i in 0..departments.saturating_sub(1) {
            let id = i + 2;
            let parent = if i < fanout { 1 } else { i / fanout + 1 };
            depts.push(FakeDept {
                dept_id: id,
                parent_id: Some(parent),
                name: format!("Dept {id}"),
            });
        }
        let mut ms = Vec::with_capacity(members as usize);
        for m in 0..members {
            let home = m % departments + 1;
            let mut dept_id_list = vec![home];
            if m % 10 == 9 && departments > 1 {
                let second = (home + departments / 2 - 1) % departments + 1;
                if second != home {
                    dept_id_list.push(second);
                }
            }
            ms.push(FakeMember {
                userid: format!("u{m:07}"),
                unionid: format!("union{m:07}"),
                name: format!("Member {m}"),
                title: "Staff".into(),
                dept_id_list,
                admin: m == 0,
                active: true,
                mobile: Some(format!("138{m:08}")),
                email: Some(format!("m{m}@example.com")),
                job_number: Some(format!("J{m:07}")),
            });
        }
        FakeOrg {
            corp_id: corp_id.into(),
            departments: depts,
            members: ms,
        }
    }
}

/// The permission points the fake's oapi endpoints need (DingTalk's names for the contact
/// permissions an internal app requests in the developer console).
pub const PERMISSION_MEMBER: &str = "qyapi_get_member";
/// Reading departments.
pub const PERMISSION_DEPARTMENT: &str = "qyapi_get_department_list";
/// Listing the members of a department.
pub const PERMISSION_DEPARTMENT_MEMBER: &str = "qyapi_get_department_member";

/// The oapi endpoints the fake counts and rate-limits one by one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum OrgApi {
    /// `/v1.0/oauth2/accessToken`.
    AppToken,
    /// `/topapi/user/getbyunionid`.
    GetByUnionId,
    /// `/topapi/v2/user/get`.
    UserGet,
    /// `/topapi/v2/user/getuserinfo`.
    GetUserInfo,
    /// `/topapi/v2/department/listsub`.
    DepartmentListSub,
    /// `/topapi/v2/user/list`.
    UserList,
}

impl OrgApi {
    fn permission(self) -> Option<&'static str> {
        match self {
            OrgApi::AppToken | OrgApi::GetUserInfo => None,
            OrgApi::GetByUnionId | OrgApi::UserGet => Some(PERMISSION_MEMBER),
            OrgApi::DepartmentListSub => Some(PERMISSION_DEPARTMENT),
            OrgApi::UserList => Some(PERMISSION_DEPARTMENT_MEMBER),
        }
    }
}

/// Free-login codes, app tokens, call windows and the operator-side refusals.
#[derive(Default)]
pub(super) struct OrgState {
    /// appKey → (token, expires_ms): the one valid token per app.
    app_tokens: HashMap<String, (String, i64)>,
    /// free-login code → (userid, expires_ms).
    free_codes: HashMap<String, (String, i64)>,
    /// Permissions the app lacks.
    pub(super) denied: HashSet<String>,
    /// Answer 60020 to every oapi call.
    pub(super) ip_blocked: bool,
    /// Recent call times per API (the per-second limit).
    windows: HashMap<OrgApi, VecDeque<i64>>,
    /// Calls per API, refused ones included.
    pub(super) calls: BTreeMap<OrgApi, u64>,
    /// Calls refused by the rate limit, per API.
    pub(super) limited: BTreeMap<OrgApi, u64>,
    /// Directory calls (`listsub`, `user/list`) still answered before every later one fails.
    pub(super) directory_calls_left: Option<u64>,
}

impl FakeDingTalk {
    /// The organisation as it is now.
    pub fn org(&self) -> FakeOrg {
        self.inner.org.read().expect("org lock").clone()
    }

    /// Changes the organisation (a member leaves, is deactivated, a department is removed…).
    pub fn update_org(&self, f: impl FnOnce(&mut FakeOrg)) {
        f(&mut self.inner.org.write().expect("org lock"));
    }

    /// Makes the app lack (`true`) or have (`false`) a permission point, e.g. [`PERMISSION_MEMBER`].
    pub fn deny_permission(&self, permission: &str, denied: bool) {
        let mut s = self.inner.org_state.lock().expect("org state lock");
        if denied {
            s.denied.insert(permission.to_owned());
        } else {
            s.denied.remove(permission);
        }
    }

    /// Answers 60020 (IP not on the whitelist) to every oapi call while `blocked`.
    pub fn block_ip(&self, blocked: bool) {
        self.inner
            .org_state
            .lock()
            .expect("org state lock")
            .ip_blocked = blocked;
    }

    /// Invalidates every app access token (as when the AppSecret is reset).
    pub fn revoke_app_tokens(&self) {
        self.inner
            .org_state
            .lock()
            .expect("org state lock")
            .app_tokens
            .clear();
    }

    /// Mints a free-login code for `userid`, as `dd.requestAuthCode` hands it to the page.
    pub fn mint_free_login_code(&self, userid: &str) -> String {
        let exp = self.now_ms() + self.inner.config.code_ttl.as_millis() as i64;
        self.mint_free_login_code_expiring(userid, exp)
    }

    /// Mints a free-login code for `userid` that expires at `expires_ms` on the fake's clock.
    pub(super) fn mint_free_login_code_expiring(&self, userid: &str, exp: i64) -> String {
        let code = random_hex(16);
        self.inner
            .org_state
            .lock()
            .expect("org state lock")
            .free_codes
            .insert(code.clone(), (userid.to_owned(), exp));
        code
    }

    /// After `n` more directory calls (`department/listsub`, `user/list`), every later one answers
    /// errcode -1 "系统繁忙" (DingTalk busy), until called with `None`: a sync that dies part-way.
    pub fn fail_org_calls_after(&self, n: Option<u64>) {
        self.inner
            .org_state
            .lock()
            .expect("org state lock")
            .directory_calls_left = n;
    }

    /// Calls per oapi endpoint (refused ones included) and how many the rate limit refused.
    pub fn org_calls(&self) -> (BTreeMap<OrgApi, u64>, BTreeMap<OrgApi, u64>) {
        let s = self.inner.org_state.lock().expect("org state lock");
        (s.calls.clone(), s.limited.clone())
    }

    /// Counts the call, then refuses it when the app token is bad, the IP or permission is
    /// missing, or the per-API limit is exceeded.
    fn admit_org_call(&self, api: OrgApi, token: Option<&str>) -> Result<(), Box<Response>> {
        let now = self.now_ms();
        let limit = self.inner.config.qps_per_api;
        let mut s = self.inner.org_state.lock().expect("org state lock");
        *s.calls.entry(api).or_default() += 1;
        if matches!(api, OrgApi::DepartmentListSub | OrgApi::UserList) {
            match &mut s.directory_calls_left {
                Some(0) => return Err(Box::new(legacy_err(-1, "系统繁忙"))),
                Some(n) => *n -= 1,
                None => {}
            }
        }
        if let Some(token) = token {
            if s.ip_blocked {
                return Err(Box::new(legacy_err(
                    60020,
                    "访问ip不在白名单之中,request ip=127.0.0.1",
                )));
            }
            let valid = s
                .app_tokens
                .values()
                .any(|(t, exp)| t == token && *exp > now);
            if !valid {
                return Err(Box::new(legacy_err(40014, "不合法的access_token")));
            }
        }
        if let Some(p) = api.permission() {
            if s.denied.contains(p) {
                return Err(Box::new(legacy_err(
                    60011,
                    &format!("没有调用该接口的权限，接口权限申请参考：https://open.dingtalk.com/document/orgapp/add-api-permission，权限点：{p}"),
                )));
            }
        }
        if let Some(limit) = limit {
            let w = s.windows.entry(api).or_default();
            while w.front().is_some_and(|t| *t <= now - 1000) {
                w.pop_front();
            }
            if w.len() as u32 >= limit {
                *s.limited.entry(api).or_default() += 1;
                return Err(Box::new(legacy_err(
                    90018,
                    "当前应用调用该接口次数过多，超出了每秒最大调用次数，请求被暂时限制了",
                )));
            }
            w.push_back(now);
        }
        Ok(())
    }
}

/// `POST /v1.0/oauth2/accessToken`.
pub(super) async fn app_access_token(
    State(fake): State<FakeDingTalk>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    fake.inner.n_app_token.fetch_add(1, Ordering::Relaxed);
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.to_ascii_lowercase().contains("json"));
    let v: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) if is_json => v,
        // The gateway reads JSON only; a form body reaches it as no body at all
        // (github.com/aliyun/alibabacloud-php-sdk/issues/36 shows `Missingbody`).
        _ => {
            return v1_err(
                StatusCode::BAD_REQUEST,
                "Missingbody",
                "body is mandatory for this action.",
            )
        }
    };
    let field = |n: &str| v.get(n).and_then(|x| x.as_str()).filter(|s| !s.is_empty());
    let (Some(key), Some(secret)) = (field("appKey"), field("appSecret")) else {
        return v1_err(
            StatusCode::BAD_REQUEST,
            "MissingappKey",
            "appKey and appSecret are mandatory for this action.",
        );
    };
    if !fake
        .inner
        .config
        .clients
        .iter()
        .any(|(k, s)| k == key && super::v1::sign_eq(s.expose(), secret))
    {
        // DingTalk's code for a wrong appKey/appSecret on this endpoint (assumed to be the one of
        // userAccessToken).
        return v1_err(
            StatusCode::BAD_REQUEST,
            "invalidClientIdOrSecret",
            "无效的clientId或者clientSecret",
        );
    }
    let now = fake.now_ms();
    let ttl = fake.inner.config.access_ttl_secs as i64 * 1000;
    let mut s = fake.inner.org_state.lock().expect("org state lock");
    // "有效期内重复获取会返回相同结果并自动续期": the same token while valid, its life renewed.
    let token = match s.app_tokens.get(key) {
        Some((t, exp)) if *exp > now => t.clone(),
        _ => random_hex(16),
    };
    s.app_tokens
        .insert(key.to_owned(), (token.clone(), now + ttl));
    json_response(
        StatusCode::OK,
        serde_json::json!({"accessToken": token, "expireIn": fake.inner.config.access_ttl_secs}),
    )
}

#[derive(Deserialize)]
pub(super) struct TokenQuery {
    access_token: Option<String>,
}

fn ok(result: serde_json::Value) -> Response {
    json_response(
        StatusCode::OK,
        serde_json::json!({"errcode": 0, "errmsg": "ok", "result": result, "request_id": random_hex(8)}),
    )
}

fn body_json(body: &[u8]) -> Result<serde_json::Value, Box<Response>> {
    serde_json::from_slice(body).map_err(|_| Box::new(legacy_err(40035, "不合法的参数")))
}

/// The token check shared by every topapi handler: a missing `access_token` is errcode 40035
/// "缺少参数 access_token" (as `robot/send` answers it publicly).
fn take_token(q: &TokenQuery) -> Result<&str, Box<Response>> {
    q.access_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Box::new(legacy_err(40035, "缺少参数 access_token")))
}

fn member_json(m: &FakeMember, corp_id: &str) -> serde_json::Value {
    serde_json::json!({
        "userid": m.userid, "unionid": m.unionid, "name": m.name, "title": m.title,
        "dept_id_list": m.dept_id_list, "admin": m.admin, "active": m.active,
        "avatar": "https://static.dingtalk.com/fake/avatar.png",
        "mobile": m.mobile, "email": m.email, "job_number": m.job_number,
        "org_email": null, "boss": false, "corp_id": corp_id,
    })
}

macro_rules! org_handler {
    ($name:ident, $api:expr, |$fake:ident, $v:ident| $body:block) => {
        pub(super) async fn $name(
            State($fake): State<FakeDingTalk>,
            Query(q): Query<TokenQuery>,
            body: axum::body::Bytes,
        ) -> Response {
            let token = match take_token(&q) {
                Ok(t) => t,
                Err(r) => return *r,
            };
            if let Err(r) = $fake.admit_org_call($api, Some(token)) {
                return *r;
            }
            let $v = match body_json(&body) {
                Ok(v) => v,
                Err(r) => return *r,
            };
            $body
        }
    };
}

org_handler!(get_by_unionid, OrgApi::GetByUnionId, |fake, v| {
    let Some(unionid) = v.get("unionid").and_then(|x| x.as_str()) else {
        return legacy_err(40035, "缺少参数 unionid");
    };
    let org = fake.inner.org.read().expect("org lock");
    match org.members.iter().find(|m| m.unionid == unionid) {
        // contact_type 0: an internal member (1 would be an external contact).
        Some(m) => ok(serde_json::json!({"userid": m.userid, "contact_type": 0})),
        None => legacy_err(60121, "找不到该用户"),
    }
});

org_handler!(user_get, OrgApi::UserGet, |fake, v| {
    let Some(userid) = v.get("userid").and_then(|x| x.as_str()) else {
        return legacy_err(40035, "缺少参数 userid");
    };
    let org = fake.inner.org.read().expect("org lock");
    match org.members.iter().find(|m| m.userid == userid) {
        Some(m) => ok(member_json(m, &org.corp_id)),
        None => legacy_err(60121, "找不到该用户"),
    }
});

org_handler!(get_user_info, OrgApi::GetUserInfo, |fake, v| {
    let Some(code) = v.get("code").and_then(|x| x.as_str()) else {
        return legacy_err(40035, "缺少参数 code");
    };
    let now = fake.now_ms();
    let taken = fake
        .inner
        .org_state
        .lock()
        .expect("org state lock")
        .free_codes
        .remove(code);
    let userid = match taken {
        Some((u, exp)) if exp > now => u,
        _ => return legacy_err(40078, "不存在的临时授权码"),
    };
    let org = fake.inner.org.read().expect("org lock");
    match org.members.iter().find(|m| m.userid == userid) {
        Some(m) => ok(serde_json::json!({
            "userid": m.userid, "unionid": m.unionid, "name": m.name,
            "device_id": random_hex(8), "sys": m.admin,
            "sys_level": if m.admin { 1 } else { 0 },
        })),
        None => legacy_err(60121, "找不到该用户"),
    }
});

org_handler!(department_listsub, OrgApi::DepartmentListSub, |fake, v| {
    let dept_id = v.get("dept_id").and_then(|x| x.as_u64()).unwrap_or(1);
    let org = fake.inner.org.read().expect("org lock");
    if !org.departments.iter().any(|d| d.dept_id == dept_id) {
        return legacy_err(60003, "部门不存在");
    }
    let subs: Vec<serde_json::Value> = org
        .departments
        .iter()
        .filter(|d| d.parent_id == Some(dept_id))
        .map(|d| {
            serde_json::json!({"dept_id": d.dept_id, "name": d.name, "parent_id": dept_id,
                "create_dept_group": false, "auto_add_user": false})
        })
        .collect();
    ok(serde_json::Value::Array(subs))
});

org_handler!(user_list, OrgApi::UserList, |fake, v| {
    let dept_id = v.get("dept_id").and_then(|x| x.as_u64());
    let cursor = v.get("cursor").and_then(|x| x.as_u64()).unwrap_or(0);
    let size = v.get("size").and_then(|x| x.as_u64()).unwrap_or(0);
    let (Some(dept_id), 1..=100) = (dept_id, size) else {
        return legacy_err(40035, "不合法的参数: dept_id, size (1..100)");
    };
    let org = fake.inner.org.read().expect("org lock");
    if !org.departments.iter().any(|d| d.dept_id == dept_id) {
        return legacy_err(60003, "部门不存在");
    }
    // The cursor is an offset into the department's member list (DingTalk's is opaque; an offset
    // is one valid reading of it).
    let in_dept: Vec<&FakeMember> = org
        .members
        .iter()
        .filter(|m| m.dept_id_list.contains(&dept_id))
        .collect();
    let start = (cursor as usize).min(in_dept.len());
    let end = (start + size as usize).min(in_dept.len());
    let list: Vec<serde_json::Value> = in_dept[start..end]
        .iter()
        .map(|m| member_json(m, &org.corp_id))
        .collect();
    let mut result = serde_json::json!({"has_more": end < in_dept.len(), "list": list});
    if end < in_dept.len() {
        result["next_cursor"] = (end as u64).into();
    }
    ok(result)
});

/// `GET /_fake/org` and `PUT /_fake/org`: read or replace the organisation.
pub(super) async fn org_http(State(fake): State<FakeDingTalk>) -> Response {
    json_response(
        StatusCode::OK,
        serde_json::to_value(fake.org()).expect("JSON"),
    )
}

pub(super) async fn set_org_http(
    State(fake): State<FakeDingTalk>,
    axum::Json(org): axum::Json<FakeOrg>,
) -> StatusCode {
    fake.update_org(|o| *o = org);
    StatusCode::NO_CONTENT
}

/// `POST /_fake/free-login {"userid"}` → `{"code"}`: what `dd.requestAuthCode` returns inside
/// DingTalk.
pub(super) async fn free_login_http(
    State(fake): State<FakeDingTalk>,
    axum::Json(v): axum::Json<serde_json::Value>,
) -> Response {
    let userid = v
        .get("userid")
        .and_then(|u| u.as_str())
        .map(str::to_owned)
        .or_else(|| fake.org().members.first().map(|m| m.userid.clone()));
    match userid {
        Some(u) => json_response(
            StatusCode::OK,
            serde_json::json!({"code": fake.mint_free_login_code(&u)}),
        ),
        None => json_response(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "the organisation has no member"}),
        ),
    }
}
