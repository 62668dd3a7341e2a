//! The workbench page's two code paths, driven over HTTP: the free-login code (inside DingTalk) and
//! the browser login with its state bound to the browser by a cookie (outside). Both go through the
//! replay store like the app's grants. (A real headless browser runs the page itself in
//! scripts/test-server-enterprise.sh.)

mod common;

use common::*;
use dingtalk_auth_server::OrgConfig;
use dingtalk_fake::{BrowserMode, OrgApi};

async fn post(h: &Harness, path: &str, body: serde_json::Value, cookie: Option<&str>) -> Answer {
    let mut req = h
        .http
        .post(format!("{}{path}", h.backend_srv.url()))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let json = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    Answer {
        status,
        json,
        headers,
    }
}

async fn org_harness() -> Harness {
    start_with(|c| {
        c.org = Some(OrgConfig::new("dingfakecorp0001"));
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_free_login_code_is_exchanged_once_and_retries_get_the_first_answer() {
    let h = org_harness().await;
    let code = h.fake.mint_free_login_code("fakeUserId0001");
    let k = key();
    let body = serde_json::json!({"code": code, "idempotencyKey": k});
    let a = post(&h, "/v1/h5/free-login", body.clone(), None).await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["flow"], "free_login");
    assert_eq!(a.json["member"]["userId"], "fakeUserId0001");
    let again = post(&h, "/v1/h5/free-login", body, None).await;
    assert_eq!(again.json, a.json);
    let other = post(
        &h,
        "/v1/h5/free-login",
        serde_json::json!({"code": code, "idempotencyKey": key()}),
        None,
    )
    .await;
    assert_eq!(other.error(), "code_replayed");
    let calls = h.fake.org_calls().0;
    assert_eq!(calls.get(&OrgApi::GetUserInfo), Some(&1));
    assert_eq!(
        calls.get(&OrgApi::GetByUnionId),
        None,
        "the userid came with the code"
    );
    // An unknown (or expired, or used at DingTalk) code is DingTalk's verdict: invalid_code.
    let bad = post(
        &h,
        "/v1/h5/free-login",
        serde_json::json!({"code": "nope", "idempotencyKey": key()}),
        None,
    )
    .await;
    assert_eq!(
        (bad.status, bad.error()),
        (401, "invalid_code"),
        "{}",
        bad.json
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_login_needs_the_state_of_this_browser() {
    let h = start_with(|c| {
        c.org = Some(OrgConfig::new("dingfakecorp0001"));
    })
    .await;
    // /v1/h5/start: a cookie with the state and a redirect to DingTalk's page carrying the same.
    let r = h
        .http
        .get(format!("{}/v1/h5/start", h.backend_srv.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let state = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("prompt=consent") && location.contains(&format!("state={state}")));
    // DingTalk (the fake, approving at once) sends the browser back with a code.
    h.fake.set_browser(BrowserMode::Approve, None);
    let to_fake = location.replacen("https://login.dingtalk.com", &h.fake_srv.url(), 1);
    let back = h.http.get(&to_fake).send().await.unwrap();
    assert_eq!(back.status(), 302, "{to_fake}");
    let back = url_param(back.headers()["location"].to_str().unwrap(), "authCode");
    let jar = format!("dtauth_state={state}");
    let wrong = post(
        &h,
        "/v1/h5/web-login",
        serde_json::json!({"authCode": back, "state": "forged", "idempotencyKey": key()}),
        Some(&jar),
    )
    .await;
    assert_eq!(wrong.error(), "invalid_grant", "{}", wrong.json);
    let no_cookie = post(
        &h,
        "/v1/h5/web-login",
        serde_json::json!({"authCode": back, "state": state, "idempotencyKey": key()}),
        None,
    )
    .await;
    assert_eq!(no_cookie.error(), "invalid_grant");
    let ok = post(
        &h,
        "/v1/h5/web-login",
        serde_json::json!({"authCode": back, "state": state, "idempotencyKey": key()}),
        Some(&jar),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.json);
    assert_eq!(ok.json["member"]["name"], "张三");
    assert!(ok.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
}

fn url_param(url: &str, name: &str) -> String {
    let q = url.split_once('?').unwrap().1;
    q.split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .unwrap()
        .1
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_loads_the_embedded_dingtalk_jsapi_from_this_backend() {
    let h = org_harness().await;
    let url = h.backend_srv.url();
    let page = h.http.get(format!("{url}/h5/")).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(
        page.contains(r#""jsapiUrl":"/h5/dingtalk-jsapi.js""#),
        "{page}"
    );
    let r = h
        .http
        .get(format!("{url}/h5/dingtalk-jsapi.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let js = r.text().await.unwrap();
    assert_eq!(js, include_str!("../h5/dingtalk-jsapi.js"));
    assert!(
        js.starts_with("/*! dingtalk-jsapi 3.2.9 (MIT)"),
        "{}",
        &js[..80]
    );
}
