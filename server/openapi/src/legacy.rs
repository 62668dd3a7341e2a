//! `POST {oapi}/sns/getuserinfo_bycode` (legacy SDK and legacy QR logins).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::Sha256;

use super::{
    opt_str_field, parse_json, send, str_field, LegacyCredentials, OpenApiClient, OpenApiError,
    RateLimit, RawResponse, Secret,
};

/// RFC 3986 unreserved characters stay; everything else (`+`, `/`, `=` of Base64) is encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The `signature` query parameter of the legacy API, already URL-encoded (exactly once):
/// `urlencode(base64(HMAC-SHA256(key = app_secret, message = timestamp_ms as a decimal string)))`.
/// Insert it into the query verbatim; encoding it again is the classic 853004 mistake.
pub fn legacy_signature(app_secret: &Secret, timestamp_ms: u64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.expose().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(timestamp_ms.to_string().as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    utf8_percent_encode(&b64, QUERY_VALUE).to_string()
}

/// The identity `getuserinfo_bycode` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyUserInfo {
    /// `nick`.
    pub nick: String,
    /// `unionid`: stable across the apps of one developer.
    pub union_id: String,
    /// `openid`: stable within this app.
    pub open_id: String,
    /// `main_org_auth_high_level`, when present.
    pub main_org_auth_high_level: Option<bool>,
    /// `dingId`, which real answers sometimes carry.
    pub ding_id: Option<String>,
}

impl OpenApiClient {
    /// Exchanges a legacy SDK auth code (`tmp_auth_code`) for the user's identity, signing with the
    /// current time.
    pub async fn legacy_user_info_by_code(
        &self,
        creds: &LegacyCredentials,
        code: &str,
    ) -> Result<LegacyUserInfo, OpenApiError> {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        self.legacy_user_info_by_code_at(creds, code, now_ms).await
    }

    /// As [`Self::legacy_user_info_by_code`], with an explicit timestamp (trusted time source, tests).
    pub async fn legacy_user_info_by_code_at(
        &self,
        creds: &LegacyCredentials,
        code: &str,
        timestamp_ms: u64,
    ) -> Result<LegacyUserInfo, OpenApiError> {
        if creds.app_key.is_empty() || creds.app_secret.is_empty() {
            return Err(OpenApiError::Config(
                "legacy AppKey and AppSecret must not be empty".into(),
            ));
        }
        let url = format!(
            "{}/sns/getuserinfo_bycode?accessKey={}&timestamp={}&signature={}",
            self.oapi_base,
            utf8_percent_encode(&creds.app_key, QUERY_VALUE),
            timestamp_ms,
            legacy_signature(&creds.app_secret, timestamp_ms),
        );
        let body = serde_json::to_vec(&serde_json::json!({ "tmp_auth_code": code }))
            .expect("a JSON object serialises");
        let raw = send(
            self.http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body),
        )
        .await?;
        parse_legacy_answer(&raw)
    }
}

/// Maps a legacy answer to the identity or a typed error.
pub(crate) fn parse_legacy_answer(raw: &RawResponse) -> Result<LegacyUserInfo, OpenApiError> {
    let (status, json) = oapi_envelope(raw)?;
    let info = json
        .get("user_info")
        .filter(|v| v.is_object())
        .ok_or_else(|| OpenApiError::MalformedJson {
            status,
            reason: "field `user_info` is missing or not an object".into(),
        })?;
    let high = match info.get("main_org_auth_high_level") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(OpenApiError::MalformedJson {
                status,
                reason: "`main_org_auth_high_level` is not a boolean".into(),
            })
        }
    };
    Ok(LegacyUserInfo {
        nick: str_field(info, "nick", status)?,
        union_id: str_field(info, "unionid", status)?,
        open_id: str_field(info, "openid", status)?,
        main_org_auth_high_level: high,
        ding_id: opt_str_field(info, "dingId", status)?,
    })
}

/// An `oapi` answer (`{"errcode","errmsg",…}`, HTTP 200 even for errors): the JSON when errcode is 0,
/// else the typed error. Shared by the login exchange and the organisation's `topapi` calls.
pub(crate) fn oapi_envelope(raw: &RawResponse) -> Result<(u16, serde_json::Value), OpenApiError> {
    let status = raw.status;
    let json = match parse_json(raw) {
        Ok(v) => v,
        // A gateway error page; an HTML page stays `NonJson` (the IP-ban signal).
        Err(OpenApiError::NonJson { html: false, .. } | OpenApiError::MalformedJson { .. })
            if status >= 500 =>
        {
            return Err(OpenApiError::ServerError {
                status,
                code: None,
                message: None,
            });
        }
        Err(e) => return Err(e),
    };
    let errcode = match json.get("errcode") {
        Some(v) => v.as_i64().ok_or_else(|| OpenApiError::MalformedJson {
            status,
            reason: "`errcode` is not an integer".into(),
        })?,
        None if status >= 500 => {
            return Err(OpenApiError::ServerError {
                status,
                code: opt_str_field(&json, "code", status).ok().flatten(),
                message: opt_str_field(&json, "message", status).ok().flatten(),
            })
        }
        None => {
            return Err(OpenApiError::MalformedJson {
                status,
                reason: "field `errcode` is missing".into(),
            })
        }
    };
    let message = json
        .get("errmsg")
        .and_then(|m| m.as_str())
        .unwrap_or_default()
        .to_owned();
    if errcode != 0 {
        return Err(map_errcode(errcode, message, &json));
    }
    if !(200..300).contains(&status) {
        return Err(OpenApiError::ServerError {
            status,
            code: None,
            message: Some(message),
        });
    }
    Ok((status, json))
}

pub(crate) fn map_errcode(errcode: i64, message: String, json: &serde_json::Value) -> OpenApiError {
    match errcode {
        // errcode 88 wraps the real cause in `sub_code` (a string, e.g. "40014") and `sub_msg`.
        88 => match json
            .get("sub_code")
            .and_then(|c| c.as_str())
            .and_then(|c| c.parse::<i64>().ok())
            .filter(|c| *c != 88)
        {
            Some(sub) => {
                let sub_msg = json.get("sub_msg").and_then(|m| m.as_str());
                map_errcode(sub, sub_msg.map_or(message, str::to_owned), json)
            }
            None => OpenApiError::Legacy { errcode, message },
        },
        // 40014 "不合法的access_token", 42001 "access_token超时": the app token must be renewed.
        40014 | 42001 => OpenApiError::AppTokenRejected { errcode, message },
        // 60011 "没有调用该接口的权限": the app lacks an API permission.
        60011 => OpenApiError::MissingPermission {
            required: crate::org::permission_points(&message),
            message,
        },
        // 60020 "访问ip不在白名单之中": this server's IP is not on the app's whitelist.
        60020 => OpenApiError::IpNotWhitelisted { message },
        40078 => OpenApiError::CodeInvalid { message },
        853001 => OpenApiError::TimestampFormat { message },
        853002 => OpenApiError::ClockSkew { message },
        853003 => OpenApiError::UnknownAccessKey { message },
        853004 => OpenApiError::SignatureMismatch { message },
        // "系统繁忙": DingTalk asks for a retry (its global error table).
        -1 => OpenApiError::ServerError {
            status: 200,
            code: Some("-1".into()),
            message: Some(message),
        },
        90002 | 90018 | 90019 | 90020 => OpenApiError::RateLimited {
            limit: match errcode {
                90002 => RateLimit::PerApi,
                90018 => RateLimit::PerAppAndApi,
                90019 => RateLimit::PerApp,
                _ => RateLimit::MonthlyQuota,
            },
            errcode: Some(errcode),
            message,
        },
        _ => OpenApiError::Legacy { errcode, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed independently with Python 3:
    //   base64.b64encode(hmac.new(secret, ts, hashlib.sha256).digest()),
    //   urllib.parse.quote(that, safe='')
    #[test]
    fn signature_known_vectors() {
        assert_eq!(
            legacy_signature(&Secret::new("testappsecret"), 1_546_084_445_901),
            "OhyFo2qjhl8F%2B5FaXsW%2F%2Blfc5j5UVZghzmaCS8KDrew%3D"
        );
        assert_eq!(
            legacy_signature(
                &Secret::new("gC8nW-vk3rQ_demo+secret/==="),
                1_700_000_000_000
            ),
            "sxIAnuGrZ7Ey8pnBCNHlXRdXtxsXqfFAR1kkocVwTZ4%3D"
        );
        assert_eq!(
            legacy_signature(&Secret::new(""), 0),
            "mXnkw%2B4Zll%2BezG3KazlUsQwYwb%2BhBcUSzDrli%2Bhdtxw%3D"
        );
    }

    #[test]
    fn signature_is_encoded_exactly_once() {
        let sig = legacy_signature(&Secret::new("testappsecret"), 1_546_084_445_901);
        assert!(!sig.contains("%25"), "double-encoded: {sig}");
        assert!(!sig.contains('+') && !sig.contains('/') && !sig.contains('='));
    }

    fn raw(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status,
            content_type: Some("application/json;charset=UTF-8".into()),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn success_answer() {
        let info = parse_legacy_answer(&raw(
            200,
            r#"{"errcode":0,"errmsg":"ok","user_info":{"nick":"张三","unionid":"u1","dingId":"$:LWCP_v1:$x","openid":"o1","main_org_auth_high_level":true}}"#,
        ))
        .unwrap();
        assert_eq!(info.nick, "张三");
        assert_eq!(info.union_id, "u1");
        assert_eq!(info.open_id, "o1");
        assert_eq!(info.main_org_auth_high_level, Some(true));
        assert_eq!(info.ding_id.as_deref(), Some("$:LWCP_v1:$x"));
    }

    #[test]
    fn errcodes_are_typed() {
        let e = |code: i64| {
            parse_legacy_answer(&raw(
                200,
                &format!(r#"{{"errcode":{code},"errmsg":"m{code}"}}"#),
            ))
            .unwrap_err()
        };
        assert!(matches!(e(40078), OpenApiError::CodeInvalid { .. }));
        assert!(matches!(e(853001), OpenApiError::TimestampFormat { .. }));
        assert!(matches!(e(853002), OpenApiError::ClockSkew { .. }));
        assert!(e(853002).to_string().contains("clock"));
        assert!(matches!(e(853003), OpenApiError::UnknownAccessKey { .. }));
        assert!(matches!(e(853004), OpenApiError::SignatureMismatch { .. }));
        assert!(matches!(
            e(90002),
            OpenApiError::RateLimited {
                limit: RateLimit::PerApi,
                errcode: Some(90002),
                ..
            }
        ));
        assert!(matches!(
            e(90019),
            OpenApiError::RateLimited {
                limit: RateLimit::PerApp,
                ..
            }
        ));
        assert!(matches!(
            e(90020),
            OpenApiError::RateLimited {
                limit: RateLimit::MonthlyQuota,
                ..
            }
        ));
        assert!(matches!(
            e(90018),
            OpenApiError::RateLimited {
                limit: RateLimit::PerAppAndApi,
                ..
            }
        ));
        assert!(matches!(
            e(-1),
            OpenApiError::ServerError { code: Some(ref c), .. } if c == "-1"
        ));
        assert!(e(-1).is_retryable());
        assert_eq!(
            e(60003),
            OpenApiError::Legacy {
                errcode: 60003,
                message: "m60003".into()
            }
        );
        assert!(matches!(e(60011), OpenApiError::MissingPermission { .. }));
        assert!(matches!(e(60020), OpenApiError::IpNotWhitelisted { .. }));
        assert!(matches!(
            e(42001),
            OpenApiError::AppTokenRejected { errcode: 42001, .. }
        ));
        // errcode 88 carries the real cause in sub_code.
        let raw88 = raw(
            200,
            r#"{"errcode":88,"errmsg":"x","sub_code":"40014","sub_msg":"不合法的access_token"}"#,
        );
        assert!(matches!(
            parse_legacy_answer(&raw88),
            Err(OpenApiError::AppTokenRejected { errcode: 40014, .. })
        ));
    }

    #[test]
    fn odd_answers_are_typed() {
        assert!(matches!(
            parse_legacy_answer(&raw(200, r#"{"errcode":0,"errmsg":"ok"}"#)),
            Err(OpenApiError::MalformedJson { .. })
        ));
        assert!(matches!(
            parse_legacy_answer(&raw(200, r#"{"errcode":"0"}"#)),
            Err(OpenApiError::MalformedJson { .. })
        ));
        assert!(matches!(
            parse_legacy_answer(&raw(
                200,
                r#"{"errcode":0,"user_info":{"nick":"a","unionid":1,"openid":"o"}}"#
            )),
            Err(OpenApiError::MalformedJson { .. })
        ));
        assert!(matches!(
            parse_legacy_answer(&raw(502, "Bad Gateway")),
            Err(OpenApiError::ServerError { status: 502, .. })
        ));
        let html = RawResponse {
            status: 200,
            content_type: Some("text/html".into()),
            body: b"<html>banned</html>".to_vec(),
        };
        assert!(matches!(
            parse_legacy_answer(&html),
            Err(OpenApiError::NonJson { html: true, .. })
        ));
    }
}
