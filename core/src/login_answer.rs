//! The reference backend's answer to a login (`server/backend`, `POST /v1/login`): who logged in,
//! the session token, and for an internal app (企业内部应用) the organisation's member.
//!
//! One type for both ends: the backend writes its answer with [`LoginAnswer::to_json`], the app reads
//! it with [`LoginAnswer::from_json`] (through [`BackendResponse::login_answer`], or the façade's
//! `readLoginAnswer`), so the shape is written once. Reading tolerates fields it does not know (a newer
//! backend may add some) and refuses a missing or mistyped required field with an [`AnswerError`]
//! that names the field, never its value: the answer carries a session token and personal data.
//!
//! The JSON (keys in alphabetical order, as `serde_json` writes an object):
//! `{"avatarUrl": string|null, "corpId": string|null, "expiresIn": seconds, "flow", "member"?: {…},
//! "nick", "openId", "sessionToken", "unionId"}`; `member` is `{"corpId", "userId"}` plus, when the
//! backend reads the member's details, `name`, `title`, `departmentIds`, `admin`, `active`, plus each
//! personal field (`mobile`, `email`, `jobNumber`) the operator enabled.

use serde_json::{Map, Value};

use crate::BackendResponse;

/// Defines [`OrgMember`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_org_member {
    ($(#[$attr:meta])*) => {
        /// The member of the operator's organisation who logged in (an internal app's backend configured
        /// with the organisation's corp id). The details are `None` when the backend checked membership
        /// only; each personal field is `None` unless the backend's operator enabled it.
        $(#[$attr])*
        pub struct OrgMember {
            /// The organisation's CorpId.
            pub corp_id: String,
            /// The member's userid inside the organisation (stable; not the unionId).
            pub user_id: String,
            /// The member's name in the organisation's contacts.
            pub name: Option<String>,
            /// The member's title (empty when the organisation set none).
            pub title: Option<String>,
            /// The ids of the member's departments (DingTalk's `dept_id_list`; 1 is the root).
            pub department_ids: Option<Vec<u64>>,
            /// Whether the member administers the organisation.
            pub admin: Option<bool>,
            /// Whether the member is active (the backend refuses inactive members).
            pub active: Option<bool>,
            /// Mobile number (personal data: only when the backend's operator enabled it).
            pub mobile: Option<String>,
            /// Email (personal data: only when the backend's operator enabled it).
            pub email: Option<String>,
            /// Job number (personal data: only when the backend's operator enabled it).
            pub job_number: Option<String>,
        }
    };
}
define_org_member!(#[derive(Debug, Clone, PartialEq, Eq)]);

/// Defines [`LoginAnswer`]. The UniFFI façade expands this same definition as its own record (printing
/// it must redact the session token, and a remote type cannot export `Debug`: see the façade's
/// `lib.rs`), so the fields and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_login_answer {
    ($(#[$attr:meta])*) => {
        /// The reference backend's answer to a login. Printing it redacts the session token.
        $(#[$attr])*
        pub struct LoginAnswer {
            /// The flow the code came from (`legacy_sdk`, `new_sdk`, `browser`).
            pub flow: String,
            /// The DingTalk account's unionId (the same across the developer's apps).
            pub union_id: String,
            /// The account's openId for this app.
            pub open_id: String,
            /// The account's nickname.
            pub nick: String,
            /// The account's avatar, when DingTalk gave one.
            pub avatar_url: Option<String>,
            /// The organisation the user picked (scope `openid corpid`), when there is one.
            pub corp_id: Option<String>,
            /// The backend's session token: send it to your services. Never log it.
            pub session_token: String,
            /// The session token's lifetime, seconds.
            pub expires_in: u64,
            /// The organisation's member, when the backend resolves logins to members.
            pub member: Option<OrgMember>,
        }
    };
}
define_login_answer!(#[derive(Clone, PartialEq, Eq)]);

impl std::fmt::Debug for LoginAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The session token is a bearer credential: whoever reads it from a log is the user.
        f.debug_struct("LoginAnswer")
            .field("flow", &self.flow)
            .field("union_id", &self.union_id)
            .field("open_id", &self.open_id)
            .field("nick", &self.nick)
            .field("avatar_url", &self.avatar_url)
            .field("corp_id", &self.corp_id)
            .field("session_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .field("member", &self.member)
            .finish()
    }
}

/// Why a backend answer is not a login answer. The text names the field at fault, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the login answer is not JSON")]
    NotJson,
    #[error("the login answer must be a JSON object")]
    NotAnObject,
    #[error("the login answer has no `{0}`")]
    Missing(&'static str),
    #[error("the login answer's `{0}` has the wrong type")]
    WrongType(&'static str),
}

/// Reads the fields of one JSON object; `null` counts as absent.
struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn opt<T>(
        &self,
        key: &str,
        name: &'static str,
        read: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, AnswerError> {
        self.get(key)
            .map(|v| read(v).ok_or(AnswerError::WrongType(name)))
            .transpose()
    }

    fn opt_string(&self, key: &str, name: &'static str) -> Result<Option<String>, AnswerError> {
        self.opt(key, name, |v| v.as_str().map(str::to_owned))
    }

    fn string(&self, key: &str, name: &'static str) -> Result<String, AnswerError> {
        self.opt_string(key, name)?
            .ok_or(AnswerError::Missing(name))
    }

    fn opt_bool(&self, key: &str, name: &'static str) -> Result<Option<bool>, AnswerError> {
        self.opt(key, name, Value::as_bool)
    }
}

fn object(v: &Value) -> Option<Fields<'_>> {
    v.as_object().map(Fields)
}

impl OrgMember {
    fn read(v: &Value) -> Result<Self, AnswerError> {
        let m = object(v).ok_or(AnswerError::WrongType("member"))?;
        let ids =
            |v: &Value| -> Option<Vec<u64>> { v.as_array()?.iter().map(Value::as_u64).collect() };
        Ok(OrgMember {
            corp_id: m.string("corpId", "member.corpId")?,
            user_id: m.string("userId", "member.userId")?,
            name: m.opt_string("name", "member.name")?,
            title: m.opt_string("title", "member.title")?,
            department_ids: m.opt("departmentIds", "member.departmentIds", ids)?,
            admin: m.opt_bool("admin", "member.admin")?,
            active: m.opt_bool("active", "member.active")?,
            mobile: m.opt_string("mobile", "member.mobile")?,
            email: m.opt_string("email", "member.email")?,
            job_number: m.opt_string("jobNumber", "member.jobNumber")?,
        })
    }

    /// The member as the answer's `member` object: a field that is `None` is left out.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("corpId".into(), self.corp_id.clone().into());
        m.insert("userId".into(), self.user_id.clone().into());
        let mut put = |key: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(key.into(), v);
            }
        };
        put("name", self.name.clone().map(Value::from));
        put("title", self.title.clone().map(Value::from));
        put(
            "departmentIds",
            self.department_ids.clone().map(Value::from),
        );
        put("admin", self.admin.map(Value::from));
        put("active", self.active.map(Value::from));
        put("mobile", self.mobile.clone().map(Value::from));
        put("email", self.email.clone().map(Value::from));
        put("jobNumber", self.job_number.clone().map(Value::from));
        Value::Object(m)
    }
}

impl LoginAnswer {
    /// Reads a login answer: every required field present with its type, `member` checked likewise
    /// when present; unknown fields are ignored.
    pub fn from_json(body: &[u8]) -> Result<Self, AnswerError> {
        let v: Value = serde_json::from_slice(body).map_err(|_| AnswerError::NotJson)?;
        let a = object(&v).ok_or(AnswerError::NotAnObject)?;
        Ok(LoginAnswer {
            flow: a.string("flow", "flow")?,
            union_id: a.string("unionId", "unionId")?,
            open_id: a.string("openId", "openId")?,
            nick: a.string("nick", "nick")?,
            avatar_url: a.opt_string("avatarUrl", "avatarUrl")?,
            corp_id: a.opt_string("corpId", "corpId")?,
            session_token: a.string("sessionToken", "sessionToken")?,
            expires_in: a
                .opt("expiresIn", "expiresIn", Value::as_u64)?
                .ok_or(AnswerError::Missing("expiresIn"))?,
            member: a.get("member").map(OrgMember::read).transpose()?,
        })
    }

    /// The answer as JSON: `avatarUrl` and `corpId` are written even when `null`, `member` only when
    /// there is one.
    pub fn to_json(&self) -> String {
        let mut a = Map::new();
        a.insert("flow".into(), self.flow.clone().into());
        a.insert("unionId".into(), self.union_id.clone().into());
        a.insert("openId".into(), self.open_id.clone().into());
        a.insert("nick".into(), self.nick.clone().into());
        a.insert("avatarUrl".into(), self.avatar_url.clone().into());
        a.insert("corpId".into(), self.corp_id.clone().into());
        a.insert("sessionToken".into(), self.session_token.clone().into());
        a.insert("expiresIn".into(), self.expires_in.into());
        if let Some(m) = &self.member {
            a.insert("member".into(), m.to_value());
        }
        Value::Object(a).to_string()
    }
}

impl BackendResponse {
    /// The body read as the reference backend's [`LoginAnswer`].
    pub fn login_answer(&self) -> Result<LoginAnswer, AnswerError> {
        LoginAnswer::from_json(self.body.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn member() -> OrgMember {
        OrgMember {
            corp_id: "dingcorp".into(),
            user_id: "user1".into(),
            name: Some("张三".into()),
            title: Some("Engineer".into()),
            department_ids: Some(vec![1, 42]),
            admin: Some(false),
            active: Some(true),
            mobile: None,
            email: Some("z@example.com".into()),
            job_number: None,
        }
    }

    fn answer() -> LoginAnswer {
        LoginAnswer {
            flow: "new_sdk".into(),
            union_id: "union1".into(),
            open_id: "open1".into(),
            nick: "zs".into(),
            avatar_url: None,
            corp_id: Some("dingcorp".into()),
            session_token: "SECRET-TOKEN".into(),
            expires_in: 3600,
            member: Some(member()),
        }
    }

    fn with(field: &str, value: Value) -> Vec<u8> {
        let mut v: Value = serde_json::from_str(&answer().to_json()).unwrap();
        match field.split_once('.') {
            Some((outer, inner)) => v[outer][inner] = value,
            None => v[field] = value,
        }
        serde_json::to_vec(&v).unwrap()
    }

    fn without(field: &str) -> Vec<u8> {
        let mut v: Value = serde_json::from_str(&answer().to_json()).unwrap();
        match field.split_once('.') {
            Some((outer, inner)) => v[outer].as_object_mut().unwrap().remove(inner),
            None => v.as_object_mut().unwrap().remove(field),
        };
        serde_json::to_vec(&v).unwrap()
    }

    /// The bytes the reference backend wrote before this type existed (`serde_json::json!`, whose
    /// object keeps its keys in order): an answer must not change on the wire.
    #[test]
    fn writes_the_answer_the_backend_always_wrote() {
        assert_eq!(
            answer().to_json(),
            concat!(
                r#"{"avatarUrl":null,"corpId":"dingcorp","expiresIn":3600,"flow":"new_sdk","#,
                r#""member":{"active":true,"admin":false,"corpId":"dingcorp","departmentIds":[1,42],"#,
                r#""email":"z@example.com","name":"张三","title":"Engineer","userId":"user1"},"#,
                r#""nick":"zs","openId":"open1","sessionToken":"SECRET-TOKEN","unionId":"union1"}"#
            )
        );
        let outsider = LoginAnswer {
            member: None,
            ..answer()
        };
        assert!(!outsider.to_json().contains("member"));
    }

    #[test]
    fn reads_what_it_writes_and_ignores_unknown_fields() {
        let a = answer();
        assert_eq!(
            LoginAnswer::from_json(a.to_json().as_bytes()),
            Ok(a.clone())
        );
        let membership_only = LoginAnswer {
            member: Some(OrgMember {
                corp_id: "c".into(),
                user_id: "u".into(),
                name: None,
                title: None,
                department_ids: None,
                admin: None,
                active: None,
                mobile: None,
                email: None,
                job_number: None,
            }),
            ..a.clone()
        };
        let json = membership_only.to_json();
        assert!(
            json.contains(r#""member":{"corpId":"c","userId":"u"}"#),
            "{json}"
        );
        assert_eq!(LoginAnswer::from_json(json.as_bytes()), Ok(membership_only));
        let newer = with("refreshToken", "r".into());
        let newer = {
            let mut v: Value = serde_json::from_slice(&newer).unwrap();
            v["member"]["avatar"] = "https://a".into();
            serde_json::to_vec(&v).unwrap()
        };
        assert_eq!(LoginAnswer::from_json(&newer), Ok(a));
    }

    #[test]
    fn a_missing_or_mistyped_field_is_named_without_its_value() {
        for field in [
            "flow",
            "unionId",
            "openId",
            "nick",
            "sessionToken",
            "expiresIn",
        ] {
            assert_eq!(
                LoginAnswer::from_json(&without(field)),
                Err(AnswerError::Missing(field))
            );
            assert_eq!(
                LoginAnswer::from_json(&with(field, Value::Null)),
                Err(AnswerError::Missing(field))
            );
        }
        for (field, name) in [
            ("member.corpId", "member.corpId"),
            ("member.userId", "member.userId"),
        ] {
            assert_eq!(
                LoginAnswer::from_json(&without(field)),
                Err(AnswerError::Missing(name))
            );
        }
        let secret = || Value::from(vec!["SECRET-VALUE"]);
        for field in [
            "flow",
            "sessionToken",
            "expiresIn",
            "avatarUrl",
            "member",
            "member.name",
            "member.departmentIds",
            "member.admin",
            "member.jobNumber",
        ] {
            let e = LoginAnswer::from_json(&with(field, secret())).unwrap_err();
            assert_eq!(e, AnswerError::WrongType(field));
            assert!(!e.to_string().contains("SECRET"), "{e}");
        }
        assert_eq!(
            LoginAnswer::from_json(&with("expiresIn", (-1).into())),
            Err(AnswerError::WrongType("expiresIn"))
        );
        assert_eq!(
            LoginAnswer::from_json(&with("member.departmentIds", serde_json::json!([1, "2"]))),
            Err(AnswerError::WrongType("member.departmentIds"))
        );
        assert_eq!(LoginAnswer::from_json(b"{"), Err(AnswerError::NotJson));
        assert_eq!(LoginAnswer::from_json(b"[]"), Err(AnswerError::NotAnObject));
        assert_eq!(
            BackendResponse {
                status: 200,
                body: "<html>".into()
            }
            .login_answer(),
            Err(AnswerError::NotJson)
        );
    }

    #[test]
    fn printing_redacts_the_session_token() {
        let printed = format!("{:?}", answer());
        assert!(!printed.contains("SECRET-TOKEN"), "{printed}");
        assert!(printed.contains("Engineer"), "{printed}");
    }

    proptest! {
        /// Any body, JSON or not, is an answer or a typed error: never a panic.
        #[test]
        fn any_body_is_read_without_panicking(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = LoginAnswer::from_json(&body);
        }

        /// Any answer survives the trip through its JSON.
        #[test]
        fn any_answer_round_trips(
            name in proptest::option::of(".{0,12}"),
            ids in proptest::option::of(proptest::collection::vec(any::<u64>(), 0..4)),
            admin in proptest::option::of(any::<bool>()),
            token in "[A-Za-z0-9._-]{1,40}",
            expires_in in any::<u64>(),
            has_member in any::<bool>(),
        ) {
            let a = LoginAnswer {
                session_token: token,
                expires_in,
                member: has_member.then(|| OrgMember { name, department_ids: ids, admin, ..member() }),
                ..answer()
            };
            prop_assert_eq!(LoginAnswer::from_json(a.to_json().as_bytes()), Ok(a));
        }
    }
}
