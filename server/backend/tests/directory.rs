//! The directory sync against the fake's seeded organisation, the fake enforcing 20 calls/s per API:
//! every department and member exactly once, paced so that no call is refused, removed items
//! reported against an earlier run, and a stopped run keeping what it wrote.

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex};

use dingtalk_auth_server::directory::{sync, SyncOptions};
use dingtalk_auth_server::RunningServer;
use dingtalk_fake::{demo, FakeConfig, FakeDingTalk, FakeOrg, PERMISSION_DEPARTMENT_MEMBER};
use dingtalk_openapi::{ClientCredentials, OpenApiClient, OpenApiConfig, OrgClient, Secret};

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn lines(&self) -> Vec<serde_json::Value> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

async fn run(
    url: &str,
    previous: Option<(HashSet<u64>, HashSet<String>)>,
) -> (Result<serde_json::Value, String>, Vec<serde_json::Value>) {
    let client = OpenApiClient::new(OpenApiConfig {
        oapi_base: url.into(),
        api_base: url.into(),
        ..OpenApiConfig::default()
    })
    .unwrap();
    let org = Arc::new(OrgClient::new(
        client,
        ClientCredentials {
            client_id: demo::CLIENT_ID.into(),
            client_secret: Secret::new(demo::CLIENT_SECRET),
        },
        None,
    ));
    let sink = Sink::default();
    let r = sync(
        org,
        Box::new(sink.clone()),
        SyncOptions {
            per_api_rate: 20,
            concurrency: 16,
            previous,
            progress: false,
        },
    )
    .await;
    (r, sink.lines())
}

async fn serve(org: FakeOrg, qps_per_api: Option<u32>) -> (FakeDingTalk, RunningServer) {
    let fake = FakeDingTalk::new(FakeConfig {
        org,
        qps_per_api,
        ..FakeConfig::demo()
    });
    let srv = fake
        .clone()
        .serve(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap())
        .await
        .unwrap();
    (fake, srv)
}

fn of_type<'a>(lines: &'a [serde_json::Value], t: &str) -> Vec<&'a serde_json::Value> {
    lines.iter().filter(|l| l["type"] == t).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tree_is_copied_once_within_the_limits_and_removals_are_reported() {
    let (fake, srv) = serve(FakeOrg::seeded("dingfakecorp0001", 31, 700, 5), Some(20)).await;
    let (r, lines) = run(&srv.url(), None).await;
    let summary = r.unwrap();
    let members = of_type(&lines, "member");
    let ids: HashSet<&str> = members
        .iter()
        .map(|m| m["userId"].as_str().unwrap())
        .collect();
    assert_eq!(members.len(), 700, "each member once");
    assert_eq!(ids.len(), 700);
    assert_eq!(of_type(&lines, "department").len(), 31);
    assert_eq!(
        summary["rateLimited"], 0,
        "paced under the limit: {summary}"
    );
    let (_, limited) = fake.org_calls();
    assert!(limited.values().all(|n| *n == 0), "{limited:?}");
    // An earlier run had more: a department and two members are gone now.
    let previous = (
        HashSet::from([1, 2, 999]),
        HashSet::from(["u0000001".to_owned(), "gone1".into(), "gone2".into()]),
    );
    let (r, lines) = run(&srv.url(), Some(previous)).await;
    r.unwrap();
    assert_eq!(of_type(&lines, "removed_department").len(), 1);
    assert_eq!(of_type(&lines, "removed_member").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_permission_stops_the_run_with_what_was_written_kept() {
    let (fake, srv) = serve(FakeOrg::seeded("dingfakecorp0001", 7, 50, 3), None).await;
    fake.deny_permission(PERMISSION_DEPARTMENT_MEMBER, true);
    let (r, lines) = run(&srv.url(), None).await;
    let e = r.unwrap_err();
    assert!(
        e.contains(PERMISSION_DEPARTMENT_MEMBER),
        "the operator is told what to add: {e}"
    );
    assert!(!of_type(&lines, "department").is_empty(), "kept: {lines:?}");
}
