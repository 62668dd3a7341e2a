//! The internal app's side of DingTalk through the OpenAPI client's `OrgClient`, against the fake:
//! the app token (cached, single-flight, shared, renewed when refused), membership, details, the
//! free-login code, paging, and the setup errors that name what the operator must add.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dingtalk_auth_server::RunningServer;
use dingtalk_fake::{demo, FakeConfig, FakeDingTalk, FakeOrg, OrgApi, PERMISSION_MEMBER};
use dingtalk_openapi::{
    BoxFuture, ClientCredentials, OpenApiClient, OpenApiConfig, OpenApiError, OrgClient, Secret,
    SharedTokenStore,
};
use tokio::net::TcpListener;

struct F {
    fake: FakeDingTalk,
    _srv: RunningServer,
    client: OpenApiClient,
}

async fn fake_with(config: FakeConfig) -> F {
    let fake = FakeDingTalk::new(config);
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
    F {
        fake,
        _srv: srv,
        client,
    }
}

fn creds() -> ClientCredentials {
    ClientCredentials {
        client_id: demo::CLIENT_ID.into(),
        client_secret: Secret::new(demo::CLIENT_SECRET),
    }
}

impl F {
    fn org(&self) -> OrgClient {
        OrgClient::new(self.client.clone(), creds(), None)
    }
    fn calls(&self, api: OrgApi) -> u64 {
        self.fake.org_calls().0.get(&api).copied().unwrap_or(0)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_token_is_fetched_once_and_renewed_when_refused() {
    let f = fake_with(FakeConfig::demo()).await;
    let org = Arc::new(f.org());
    // Concurrent first calls share one fetch.
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let org = org.clone();
            tokio::spawn(async move { org.user_id_by_union_id("fakeUnionId0001").await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().as_deref(), Some("fakeUserId0001"));
    }
    assert_eq!(f.fake.stats().app_token, 1, "single-flight");
    // DingTalk invalidates it: the call is retried once with a new token and succeeds.
    f.fake.revoke_app_tokens();
    assert!(org.member("fakeUserId0001").await.unwrap().is_some());
    assert_eq!(f.fake.stats().app_token, 2);
    assert_eq!(f.calls(OrgApi::UserGet), 2, "one refused, one retried");
    // It expires on DingTalk's clock before the client expected: the same.
    f.fake.advance_clock(7_201_000);
    assert!(org.member("fakeUserId0001").await.unwrap().is_some());
    assert_eq!(f.fake.stats().app_token, 3);
    // Renewal before expiry: with a margin as long as the token's life, every call renews first.
    let eager = f.org().with_margin(Duration::from_secs(7200));
    eager.member("fakeUserId0001").await.unwrap();
    eager.member("fakeUserId0001").await.unwrap();
    assert_eq!(f.fake.stats().app_token, 5);
}

#[derive(Default)]
struct MemoryShare(Mutex<HashMap<String, (Secret, u64)>>);

impl SharedTokenStore for MemoryShare {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<(Secret, u64)>> {
        Box::pin(async move { self.0.lock().unwrap().get(key).cloned() })
    }
    fn save<'a>(&'a self, key: &'a str, token: &'a Secret, exp: u64) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.0
                .lock()
                .unwrap()
                .insert(key.to_owned(), (token.clone(), exp));
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_share_the_token_through_the_store_under_a_key_without_the_secret() {
    let f = fake_with(FakeConfig::demo()).await;
    let share = Arc::new(MemoryShare::default());
    let a = OrgClient::new(f.client.clone(), creds(), Some(share.clone()));
    let b = OrgClient::new(f.client.clone(), creds(), Some(share.clone()));
    a.user_id_by_union_id("fakeUnionId0001").await.unwrap();
    b.user_id_by_union_id("fakeUnionId0001").await.unwrap();
    assert_eq!(f.fake.stats().app_token, 1, "the second instance read it");
    let keys: Vec<String> = share.0.lock().unwrap().keys().cloned().collect();
    assert_eq!(keys, vec![a.shared_key()]);
    assert!(!keys[0].contains(demo::CLIENT_SECRET));
    // A refused shared token is not read back: the instance fetches and shares a new one.
    f.fake.revoke_app_tokens();
    b.user_id_by_union_id("fakeUnionId0001").await.unwrap();
    assert_eq!(f.fake.stats().app_token, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn membership_details_and_free_login() {
    let f = fake_with(FakeConfig::demo()).await;
    let org = f.org();
    assert_eq!(org.user_id_by_union_id("outsider").await.unwrap(), None);
    let m = org.member("fakeUserId0001").await.unwrap().unwrap();
    assert_eq!(
        (
            m.name.as_str(),
            m.title.as_str(),
            m.department_ids.as_slice()
        ),
        ("张三", "Engineer", &[1u64][..])
    );
    assert!(m.active && !m.admin);
    assert_eq!(org.member("gone").await.unwrap(), None);
    let code = f.fake.mint_free_login_code("fakeUserId0001");
    let u = org.free_login_user(&code).await.unwrap();
    assert_eq!(
        (u.user_id.as_str(), u.union_id.as_str()),
        ("fakeUserId0001", "fakeUnionId0001")
    );
    let e = org.free_login_user(&code).await.unwrap_err();
    assert!(matches!(e, OpenApiError::CodeInvalid { .. }), "{e:?}");
    let code = f.fake.mint_free_login_code("fakeUserId0001");
    f.fake.advance_clock(301_000);
    let e = org.free_login_user(&code).await.unwrap_err();
    assert!(
        matches!(e, OpenApiError::CodeInvalid { .. }),
        "expired: {e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_errors_name_the_permission_and_ip_for_the_operator_only() {
    let f = fake_with(FakeConfig::demo()).await;
    let org = f.org();
    f.fake.deny_permission(PERMISSION_MEMBER, true);
    let e = org
        .user_id_by_union_id("fakeUnionId0001")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, OpenApiError::MissingPermission { required, .. } if required == &[PERMISSION_MEMBER]),
        "{e:?}"
    );
    assert!(e.operator_hint().unwrap().contains(PERMISSION_MEMBER));
    assert!(!e.to_string().contains(PERMISSION_MEMBER));
    f.fake.deny_permission(PERMISSION_MEMBER, false);
    f.fake.block_ip(true);
    let e = org
        .user_id_by_union_id("fakeUnionId0001")
        .await
        .unwrap_err();
    assert!(matches!(e, OpenApiError::IpNotWhitelisted { .. }), "{e:?}");
    assert!(e.operator_hint().unwrap().ends_with(": 127.0.0.1"));
    assert!(!e.to_string().contains("127.0.0.1"));
    f.fake.block_ip(false);
    // A wrong secret at the token endpoint: credentials, with a hint.
    let bad = OrgClient::new(
        f.client.clone(),
        ClientCredentials {
            client_secret: Secret::new("wrong"),
            ..creds()
        },
        None,
    );
    let e = bad.member("fakeUserId0001").await.unwrap_err();
    assert!(matches!(e, OpenApiError::Credentials(_)), "{e:?}");
    assert!(e.operator_hint().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn departments_and_member_pages() {
    let f = fake_with(FakeConfig {
        org: FakeOrg::seeded("dingseeded", 7, 250, 3),
        qps_per_api: Some(20),
        ..FakeConfig::demo()
    })
    .await;
    let org = f.org();
    let subs = org.sub_departments(1).await.unwrap();
    assert_eq!(
        subs.iter().map(|d| d.dept_id).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    assert!(subs.iter().all(|d| d.parent_id == 1));
    let mut cursor = 0;
    let mut seen = Vec::new();
    loop {
        let page = org.members_page(2, cursor, 100).await.unwrap();
        assert!(page.members.len() <= 100);
        seen.extend(page.members.into_iter().map(|m| m.user_id));
        match page.next_cursor {
            Some(c) => cursor = c,
            None => break,
        }
    }
    let expected = f
        .fake
        .org()
        .members
        .iter()
        .filter(|m| m.dept_id_list.contains(&2))
        .count();
    assert_eq!(seen.len(), expected);
    // The per-API limit: 21 calls at once, one refused with 90018.
    let org = Arc::new(org);
    let tasks: Vec<_> = (0..21)
        .map(|_| {
            let org = org.clone();
            tokio::spawn(async move { org.sub_departments(1).await })
        })
        .collect();
    let mut limited = 0;
    for t in tasks {
        if let Err(e) = t.await.unwrap() {
            assert!(
                matches!(
                    e,
                    OpenApiError::RateLimited {
                        errcode: Some(90018),
                        ..
                    }
                ),
                "{e:?}"
            );
            limited += 1;
        }
    }
    assert!(limited >= 1, "at most 20 calls/s per API");
}
