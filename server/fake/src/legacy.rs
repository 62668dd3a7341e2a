//! The legacy `oapi` host: `POST /sns/getuserinfo_bycode?accessKey=&timestamp=&signature=`.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::extract::{Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::faults::fault_response;
use super::{json_response, legacy_err, sign, CodeKind, FakeDingTalk, FaultEndpoint};

pub(super) async fn legacy_userinfo(
    State(fake): State<FakeDingTalk>,
    Query(q): Query<HashMap<String, String>>,
    RawQuery(raw_query): RawQuery,
    body: axum::body::Bytes,
) -> Response {
    fake.inner.n_legacy.fetch_add(1, Ordering::Relaxed);
    if let Some(f) = fake.fault(FaultEndpoint::Legacy).await {
        return fault_response(f, FaultEndpoint::Legacy);
    }
    let cfg = &fake.inner.config;
    let Some(ts) = q.get("timestamp") else {
        return legacy_err(853001, "timestamp参数缺失");
    };
    let Ok(ts_ms) = ts.parse::<i64>() else {
        return legacy_err(853001, "timestamp参数格式错误");
    };
    if !ts.bytes().all(|b| b.is_ascii_digit()) {
        return legacy_err(853001, "timestamp参数格式错误");
    }
    if (fake.now_ms() - ts_ms).unsigned_abs() > cfg.max_skew_ms {
        return legacy_err(853002, "timestamp与服务器时间相差超过1分钟");
    }
    let key = q.get("accessKey").map(String::as_str).unwrap_or("");
    let Some((_, secret)) = cfg.legacy_apps.iter().find(|(k, _)| k == key) else {
        return legacy_err(853003, "accessKey不存在");
    };
    let sig = q.get("signature").map(String::as_str).unwrap_or("");
    if !signature_encoded_once(raw_query.as_deref().unwrap_or(""))
        || !sign::signature_ok(secret.expose(), ts, sig)
    {
        return legacy_err(853004, "签名不匹配");
    }
    let code = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("tmp_auth_code")
                .and_then(|c| c.as_str())
                .map(str::to_owned)
        });
    let Some(code) = code else {
        return legacy_err(40035, "不合法的参数: tmp_auth_code");
    };
    let user = if fake.bench_code(&code) {
        cfg.default_user.clone()
    } else {
        let now = fake.now_ms();
        let mut t = fake.inner.tables.lock().expect("fake lock");
        match t.codes.get(&code) {
            Some(c) if c.kind == CodeKind::Legacy && c.client_id == key && c.expires_ms > now => {
                t.codes.remove(&code).expect("present").user
            }
            _ => return legacy_err(40078, "不存在的临时授权码"),
        }
    };
    json_response(
        StatusCode::OK,
        serde_json::json!({
            "errcode": 0,
            "errmsg": "ok",
            "user_info": {
                "nick": user.nick,
                "unionid": user.union_id,
                "dingId": format!("$:LWCP_v1:$fake{}", &user.open_id),
                "openid": user.open_id,
                "main_org_auth_high_level": false,
            }
        }),
    )
}

/// True when the raw `signature` value is percent-encoded (once): only unreserved characters and
/// `%XX`. An unencoded Base64 `+`, `/` or `=` is refused even where decoding would happen to give the
/// same bytes back (`/`, `=`), as DingTalk's documentation requires the URL-encoded form; a
/// double-encoded value passes here and fails the Base64 check after one decoding.
fn signature_encoded_once(raw_query: &str) -> bool {
    raw_query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("signature="))
        .all(|v| {
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() {
                match b[i] {
                    b'%' if i + 2 < b.len()
                        && b[i + 1].is_ascii_hexdigit()
                        && b[i + 2].is_ascii_hexdigit() =>
                    {
                        i += 3
                    }
                    c if c.is_ascii_alphanumeric() || b"-._~".contains(&c) => i += 1,
                    _ => return false,
                }
            }
            true
        })
}
