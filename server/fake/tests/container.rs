//! DingTalk's in-app browser as the fake emulates it for pages under test: the native side of the
//! JSAPI bridge answers `dd.requestAuthCode` with free-login codes that `getuserinfo` accepts, and
//! its refusals. (The bridges themselves run in Chromium in scripts/test-server-enterprise.sh.)

use dingtalk_auth_server::RunningServer;
use dingtalk_fake::{demo, ContainerAuthCode, ContainerCall, FakeConfig, FakeDingTalk};
use dingtalk_openapi::{
    ClientCredentials, OpenApiClient, OpenApiConfig, OpenApiError, OrgClient, Secret,
};
use serde_json::{json, Value};
use tokio::net::TcpListener;

struct F {
    fake: FakeDingTalk,
    srv: RunningServer,
    http: reqwest::Client,
    org: OrgClient,
}

async fn fake() -> F {
    let fake = FakeDingTalk::new(FakeConfig::demo());
    let srv = fake
        .clone()
        .serve(TcpListener::bind("127.0.0.1:0").await.unwrap())
        .await
        .unwrap();
    let client = OpenApiClient::new(OpenApiConfig {
        oapi_base: srv.url(),
        api_base: srv.url(),
        ..OpenApiConfig::default()
    })
    .unwrap();
    let creds = ClientCredentials {
        client_id: demo::CLIENT_ID.into(),
        client_secret: Secret::new(demo::CLIENT_SECRET),
    };
    F {
        fake,
        srv,
        http: reqwest::Client::new(),
        org: OrgClient::new(client, creds, None),
    }
}

impl F {
    /// What the bridge does for `dd.requestAuthCode({corpId, clientId})` on `platform`: a text/plain
    /// POST, as the page's cross-origin fetch sends it.
    async fn invoke(&self, platform: &str, api: &str, params: Value) -> Value {
        let r = self
            .http
            .post(format!("{}/_fake/container/invoke", self.srv.url()))
            .header("content-type", "text/plain;charset=UTF-8")
            .body(json!({"platform": platform, "api": api, "params": params}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["access-control-allow-origin"], "*");
        serde_json::from_str(&r.text().await.unwrap()).unwrap()
    }

    async fn request_auth_code(&self, platform: &str) -> Value {
        self.invoke(
            platform,
            "runtime.permission.requestAuthCodeV2",
            json!({"corpId": "dingfakecorp0001", "clientId": demo::CLIENT_ID}),
        )
        .await
    }
}

fn code_of(answer: &Value) -> String {
    assert_eq!(answer["ok"], true, "{answer}");
    answer["result"]["code"].as_str().unwrap().to_owned()
}

fn error_code_of(answer: &Value) -> &str {
    assert_eq!(answer["ok"], false, "{answer}");
    answer["error"]["errorCode"].as_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_hands_out_free_login_codes_that_getuserinfo_accepts_once() {
    let f = fake().await;
    let code = code_of(&f.request_auth_code("android").await);
    let u = f.org.free_login_user(&code).await.unwrap();
    assert_eq!(u.user_id, "fakeUserId0001");
    let e = f.org.free_login_user(&code).await.unwrap_err();
    assert!(matches!(e, OpenApiError::CodeInvalid { .. }), "{e:?}");
    // The older API (corpId only) too; every call is recorded.
    let old = f
        .invoke(
            "ios",
            "runtime.permission.requestAuthCode",
            json!({"corpId": "dingfakecorp0001"}),
        )
        .await;
    code_of(&old);
    assert_eq!(
        f.fake.container_calls(),
        vec![
            ContainerCall {
                platform: "android".into(),
                api: "runtime.permission.requestAuthCodeV2".into(),
                corp_id: Some("dingfakecorp0001".into()),
                client_id: Some(demo::CLIENT_ID.into()),
                answer: "code".into(),
            },
            ContainerCall {
                platform: "ios".into(),
                api: "runtime.permission.requestAuthCode".into(),
                corp_id: Some("dingfakecorp0001".into()),
                client_id: None,
                answer: "code".into(),
            },
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_expired_and_reused_answers() {
    let f = fake().await;
    f.fake.set_container(ContainerAuthCode::Cancel, None);
    assert_eq!(error_code_of(&f.request_auth_code("ios").await), "-1");

    f.fake.set_container(ContainerAuthCode::Expired, None);
    let expired = code_of(&f.request_auth_code("android").await);
    let e = f.org.free_login_user(&expired).await.unwrap_err();
    assert!(matches!(e, OpenApiError::CodeInvalid { .. }), "{e:?}");

    f.fake.set_container(ContainerAuthCode::Issue, None);
    let first = code_of(&f.request_auth_code("android").await);
    f.fake.set_container(ContainerAuthCode::Reused, None);
    assert_eq!(code_of(&f.request_auth_code("android").await), first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signed_in_member_can_be_chosen() {
    let f = fake().await;
    let other = "fakeUserId0002".to_owned();
    f.fake.update_org(|o| {
        let mut m = o.members[0].clone();
        m.userid = other.clone();
        m.unionid = "fakeUnionId0002".into();
        o.members.push(m);
    });
    f.fake
        .set_container(ContainerAuthCode::Issue, Some(other.clone()));
    let code = code_of(&f.request_auth_code("harmony").await);
    assert_eq!(f.org.free_login_user(&code).await.unwrap().user_id, other);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_corp_or_client_and_unknown_apis_are_refused() {
    let f = fake().await;
    let wrong_corp = f
        .invoke(
            "android",
            "runtime.permission.requestAuthCodeV2",
            json!({"corpId": "dingothercorp", "clientId": demo::CLIENT_ID}),
        )
        .await;
    assert_eq!(error_code_of(&wrong_corp), "3");
    let no_client = f
        .invoke(
            "android",
            "runtime.permission.requestAuthCodeV2",
            json!({"corpId": "dingfakecorp0001"}),
        )
        .await;
    assert_eq!(error_code_of(&no_client), "3");
    let unknown = f
        .invoke("android", "biz.util.openLink", json!({"url": "x"}))
        .await;
    assert_eq!(error_code_of(&unknown), "1");
    // A body that is not JSON is an unknown (empty) API, not a crash.
    let r = f
        .http
        .post(format!("{}/_fake/container/invoke", f.srv.url()))
        .body("not json")
        .send()
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(error_code_of(&v), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_script_points_at_this_fake() {
    let f = fake().await;
    let r = f
        .http
        .get(format!("{}/_fake/container.js", f.srv.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let js = r.text().await.unwrap();
    assert!(js.contains(&format!(
        "var FAKE = \"{}\";",
        f.srv.url().trim_end_matches('/')
    )));
    for bridge in [
        "window.nuva",
        "window.WebViewJavascriptBridge",
        "window.DingTalkJSBridge",
    ] {
        assert!(js.contains(bridge), "{bridge}");
    }
}
