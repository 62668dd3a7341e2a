//! Logins into a configured organisation (`--corp-id`): the account must be an active member, the
//! answer carries the `member`, personal fields only when enabled, and each login costs only the
//! DingTalk calls it needs.

mod common;

use common::*;
use dingtalk_auth::{LoginAnswer, LoginFlow, OrgMember};
use dingtalk_auth_server::{OrgConfig, PersonalFields};
use dingtalk_fake::{OrgApi, UserPatch, PERMISSION_MEMBER};

const CORP: &str = "dingfakecorp0001";

fn calls(h: &Harness, api: OrgApi) -> u64 {
    h.fake.org_calls().0.get(&api).copied().unwrap_or(0)
}

async fn org_harness(tweak: impl FnOnce(&mut OrgConfig)) -> Harness {
    let mut org = OrgConfig::new(CORP);
    tweak(&mut org);
    start_with(|c| c.org = Some(org)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_answers_the_member_without_personal_data() {
    let h = org_harness(|_| {}).await;
    for flow in [LoginFlow::LegacySdk, LoginFlow::NewSdk, LoginFlow::Browser] {
        let a = h.fresh_login(flow).await;
        assert_eq!(a.status, 200, "{flow:?}: {}", a.json);
        assert_eq!(
            a.json["member"],
            serde_json::json!({"corpId": CORP, "userId": "fakeUserId0001", "name": "张三",
                "title": "Engineer", "departmentIds": [1], "admin": false, "active": true}),
            "{flow:?}"
        );
    }
    // The app reads the same answer with the core's type.
    let a = h.fresh_login(LoginFlow::NewSdk).await;
    let answer = LoginAnswer::from_json(a.json.to_string().as_bytes()).expect("a login answer");
    assert_eq!(
        answer.member,
        Some(OrgMember {
            corp_id: CORP.into(),
            user_id: "fakeUserId0001".into(),
            name: Some("张三".into()),
            title: Some("Engineer".into()),
            department_ids: Some(vec![1]),
            admin: Some(false),
            active: Some(true),
            mobile: None,
            email: None,
            job_number: None,
        })
    );
    assert_eq!(calls(&h, OrgApi::GetByUnionId), 4);
    assert_eq!(calls(&h, OrgApi::UserGet), 4);
    assert_eq!(h.fake.stats().app_token, 1, "the app token is reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outsiders_are_refused_and_the_refusal_is_kept() {
    let h = org_harness(|_| {}).await;
    let outsider = UserPatch {
        union_id: Some("someoneElse".into()),
        ..UserPatch::default()
    };
    let code = h.mint(LoginFlow::Browser, None, Some(outsider));
    let k = key();
    let a = h.login(LoginFlow::Browser, &code, "openid", &k).await;
    assert_eq!((a.status, a.error()), (403, "not_org_member"), "{}", a.json);
    assert_eq!(a.json["retryable"], false);
    assert_eq!(calls(&h, OrgApi::UserGet), 0, "no details for an outsider");
    // A retry gets the kept answer; DingTalk is not asked again.
    let again = h.login(LoginFlow::Browser, &code, "openid", &k).await;
    assert_eq!(again.error(), "not_org_member");
    assert_eq!(calls(&h, OrgApi::GetByUnionId), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_who_left_or_is_inactive_cannot_log_in_again() {
    let h = org_harness(|_| {}).await;
    assert_eq!(h.fresh_login(LoginFlow::NewSdk).await.status, 200);
    h.fake.update_org(|o| o.members[0].active = false);
    let a = h.fresh_login(LoginFlow::NewSdk).await;
    assert_eq!((a.status, a.error()), (403, "not_org_member"), "{}", a.json);
    h.fake.update_org(|o| o.members.clear());
    let a = h.fresh_login(LoginFlow::NewSdk).await;
    assert_eq!((a.status, a.error()), (403, "not_org_member"), "{}", a.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn membership_only_costs_one_call_and_non_members_can_be_admitted() {
    let h = org_harness(|o| {
        o.details = false;
        o.require_membership = false;
    })
    .await;
    let a = h.fresh_login(LoginFlow::Browser).await;
    assert_eq!(
        a.json["member"],
        serde_json::json!({"corpId": CORP, "userId": "fakeUserId0001"})
    );
    assert_eq!(calls(&h, OrgApi::UserGet), 0);
    let code = h.mint(
        LoginFlow::Browser,
        None,
        Some(UserPatch {
            union_id: Some("someoneElse".into()),
            ..UserPatch::default()
        }),
    );
    let a = h.login(LoginFlow::Browser, &code, "openid", &key()).await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert!(a.json.get("member").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_fields_only_when_enabled_one_by_one() {
    let h = org_harness(|o| {
        o.personal = PersonalFields {
            mobile: true,
            email: false,
            job_number: true,
        }
    })
    .await;
    let m = &h.fresh_login(LoginFlow::NewSdk).await.json["member"];
    assert_eq!(m["mobile"], "13800000000");
    assert_eq!(m["jobNumber"], "E0001");
    assert!(m.get("email").is_none(), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_permission_is_server_misconfigured_without_naming_it_to_the_app() {
    let h = org_harness(|_| {}).await;
    h.fake.deny_permission(PERMISSION_MEMBER, true);
    let a = h.fresh_login(LoginFlow::NewSdk).await;
    assert_eq!(
        (a.status, a.error()),
        (502, "server_misconfigured"),
        "{}",
        a.json
    );
    assert!(
        !a.json.to_string().contains(PERMISSION_MEMBER),
        "{}",
        a.json
    );
    h.fake.block_ip(true);
    h.fake.deny_permission(PERMISSION_MEMBER, false);
    let a = h.fresh_login(LoginFlow::NewSdk).await;
    assert_eq!(a.error(), "server_misconfigured", "{}", a.json);
    assert!(!a.json.to_string().contains("127.0.0.1"), "{}", a.json);
}
