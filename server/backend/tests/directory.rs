//! The directory sync against the fake's seeded organisation, the fake enforcing 20 calls/s per API:
//! every department and member exactly once, every refused call retried (the pacing itself is
//! `Pacer`'s unit test, on virtual time), removed items reported against an earlier run, and a stopped run keeping what it wrote. Into SQLite: the
//! documented schema and queries, removals marked. An interrupted run (the fake failing every
//! directory call after N) resumes to a complete copy with fewer calls than a fresh run.

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex};

use dingtalk_auth_server::directory::jsonl::{checkpoint_path, JsonlSink};
use dingtalk_auth_server::directory::sqlite::SqliteSink;
use dingtalk_auth_server::directory::{sync, SyncOptions, SyncSink};
use dingtalk_auth_server::RunningServer;
use dingtalk_fake::{
    demo, FakeConfig, FakeDingTalk, FakeOrg, OrgApi, PERMISSION_DEPARTMENT_MEMBER,
};
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

fn org_client(url: &str) -> Arc<OrgClient> {
    let client = OpenApiClient::new(OpenApiConfig {
        oapi_base: url.into(),
        api_base: url.into(),
        ..OpenApiConfig::default()
    })
    .unwrap();
    Arc::new(OrgClient::new(
        client,
        ClientCredentials {
            client_id: demo::CLIENT_ID.into(),
            client_secret: Secret::new(demo::CLIENT_SECRET),
        },
        None,
    ))
}

/// A sync at `rate` calls/s per API into `sink`.
async fn sync_into(
    url: &str,
    sink: Box<dyn SyncSink>,
    rate: u32,
) -> Result<serde_json::Value, String> {
    sync(
        org_client(url),
        sink,
        SyncOptions {
            per_api_rate: rate,
            concurrency: 16,
            progress: false,
        },
    )
    .await
}

async fn run(
    url: &str,
    previous: Option<(HashSet<u64>, HashSet<String>)>,
) -> (Result<serde_json::Value, String>, Vec<serde_json::Value>) {
    let sink = Sink::default();
    let r = sync_into(
        url,
        Box::new(JsonlSink::stream(Box::new(sink.clone()), previous)),
        20,
    )
    .await;
    (r, sink.lines())
}

/// A fresh path in the temp directory (removed with its companions by `Cleanup`).
struct Cleanup(std::path::PathBuf);

impl Cleanup {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("dtauth-dir-{}-{name}", std::process::id()));
        let c = Cleanup(p);
        c.remove();
        c
    }
    fn remove(&self) {
        for suffix in ["", ".checkpoint", "-wal", "-shm"] {
            let mut p = self.0.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.remove();
    }
}

fn calls(summary: &serde_json::Value) -> u64 {
    summary["departmentCalls"].as_u64().unwrap() + summary["memberCalls"].as_u64().unwrap()
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
    // Whether the fake refused a call depends on when the calls reached it (a loaded machine
    // bunches them), so no count of refusals is asserted here: the pacing that keeps them off is
    // `Pacer`'s unit test, on tokio's virtual clock. What holds whatever the timing: every refusal
    // was seen and retried (the copy above is complete), and the run counted the calls the fake
    // received.
    let (received, limited) = fake.org_calls();
    assert_eq!(
        summary["rateLimited"].as_u64().unwrap(),
        limited.values().sum::<u64>(),
        "every refusal counted and retried: {summary}"
    );
    assert_eq!(
        calls(&summary),
        received[&OrgApi::DepartmentListSub] + received[&OrgApi::UserList],
        "{summary}"
    );
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

/// The members of a department, with the query server/README.md gives a CRM.
fn members_of(db: &rusqlite::Connection, dept: i64) -> Vec<String> {
    let mut q = db
        .prepare(
            "SELECT m.user_id FROM members m JOIN memberships ms ON ms.user_id = m.user_id
             WHERE ms.dept_id = ?1 AND m.removed_at IS NULL ORDER BY m.user_id",
        )
        .unwrap();
    q.query_map([dept], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn count(db: &rusqlite::Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_holds_the_tree_once_and_marks_what_disappeared() {
    let (fake, srv) = serve(FakeOrg::seeded("dingfakecorp0001", 31, 700, 5), None).await;
    let file = Cleanup::new("org.sqlite");
    let summary = sync_into(
        &srv.url(),
        Box::new(SqliteSink::open(&file.0, None).unwrap()),
        1000,
    )
    .await
    .unwrap();
    assert_eq!(summary["members"], 700, "{summary}");
    let db = rusqlite::Connection::open(&file.0).unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM departments"), 31);
    assert_eq!(count(&db, "SELECT count(*) FROM members"), 700);
    let org = fake.org();
    let memberships: usize = org.members.iter().map(|m| m.dept_id_list.len()).sum();
    assert!(memberships > 700, "some members are in two departments");
    assert_eq!(
        count(&db, "SELECT count(*) FROM memberships") as usize,
        memberships,
        "one row per member and department"
    );
    let mut expected: Vec<String> = org
        .members
        .iter()
        .filter(|m| m.dept_id_list.contains(&7))
        .map(|m| m.userid.clone())
        .collect();
    expected.sort();
    assert_eq!(members_of(&db, 7), expected);
    assert_eq!(
        count(&db, "SELECT count(*) FROM sync_pages"),
        0,
        "checkpoint cleared"
    );

    // A member leaves and a leaf department is dissolved; its members moved to the root.
    let leaving = expected[0].clone();
    fake.update_org(|o| {
        o.members.retain(|m| m.userid != leaving);
        o.departments.retain(|d| d.dept_id != 31);
        for m in &mut o.members {
            m.dept_id_list.retain(|d| *d != 31);
            if m.dept_id_list.is_empty() {
                m.dept_id_list.push(1);
            }
        }
    });
    let summary = sync_into(
        &srv.url(),
        Box::new(SqliteSink::open(&file.0, None).unwrap()),
        1000,
    )
    .await
    .unwrap();
    assert_eq!(summary["removedMembers"], 1, "{summary}");
    assert_eq!(summary["removedDepartments"], 1, "{summary}");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM members WHERE removed_at IS NOT NULL"
        ),
        1
    );
    let gone: String = db
        .query_row(
            "SELECT user_id FROM members WHERE removed_at IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(gone, leaving, "marked, not deleted");
    assert!(!members_of(&db, 7).contains(&leaving));
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM departments WHERE removed_at IS NOT NULL AND dept_id = 31"
        ),
        1
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM memberships WHERE dept_id = 31"),
        0
    );
    // Once reported is enough: a third run finds nothing new removed.
    let summary = sync_into(
        &srv.url(),
        Box::new(SqliteSink::open(&file.0, None).unwrap()),
        1000,
    )
    .await
    .unwrap();
    assert_eq!(summary["removedMembers"], 0, "{summary}");
}

/// Fresh run's calls, then a run failing after `fail_after` directory calls, then the resumed run:
/// the copy is complete, nothing twice, and the resumed run made fewer calls than a fresh one.
async fn interrupted_then_resumed(
    open: impl Fn() -> Box<dyn SyncSink>,
    kept_members: impl Fn() -> usize,
    fail_after: u64,
) -> (u64, u64, serde_json::Value) {
    let (fake, srv) = serve(FakeOrg::seeded("dingfakecorp0001", 31, 700, 5), None).await;
    let url = srv.url();
    fake.fail_org_calls_after(Some(fail_after));
    let e = sync_into(&url, open(), 1000).await.unwrap_err();
    assert!(e.contains("-1"), "stopped by the fault: {e}");
    let kept = kept_members();
    assert!(kept > 0 && kept < 700, "what was synced is kept: {kept}");
    fake.fail_org_calls_after(None);
    let resumed = sync_into(&url, open(), 1000).await.unwrap();
    assert_eq!(resumed["resumed"], true, "{resumed}");
    assert_eq!(resumed["members"], 700, "{resumed}");
    let fresh_calls = {
        let sink = Sink::default();
        let fresh = sync_into(
            &url,
            Box::new(JsonlSink::stream(Box::new(sink), None)),
            1000,
        )
        .await
        .unwrap();
        calls(&fresh)
    };
    (fresh_calls, calls(&resumed), resumed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_jsonl_run_resumes_without_losing_or_repeating_members() {
    let file = Cleanup::new("org.jsonl");
    let path = file.0.clone();
    let (fresh, resumed, _) = interrupted_then_resumed(
        || Box::new(JsonlSink::file(&path, None).unwrap()),
        || {
            std::fs::read_to_string(&path)
                .unwrap()
                .matches(r#""type":"member""#)
                .count()
        },
        30,
    )
    .await;
    assert!(resumed < fresh, "resumed {resumed} calls, fresh {fresh}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&file.0)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let members = of_type(&lines, "member");
    let ids: HashSet<&str> = members
        .iter()
        .map(|m| m["userId"].as_str().unwrap())
        .collect();
    assert_eq!(members.len(), 700, "no member twice");
    assert_eq!(ids.len(), 700, "no member lost");
    let depts: HashSet<u64> = of_type(&lines, "department")
        .iter()
        .map(|d| d["deptId"].as_u64().unwrap())
        .collect();
    assert_eq!((of_type(&lines, "department").len(), depts.len()), (31, 31));
    assert_eq!(of_type(&lines, "summary").len(), 1);
    assert!(
        !checkpoint_path(&file.0).exists(),
        "a complete run leaves no checkpoint"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_sqlite_run_resumes_without_losing_or_repeating_members() {
    let file = Cleanup::new("resume.sqlite");
    let path = file.0.clone();
    let (fresh, resumed, _) = interrupted_then_resumed(
        || Box::new(SqliteSink::open(&path, None).unwrap()),
        || {
            let db = rusqlite::Connection::open(&path).unwrap();
            count(&db, "SELECT count(*) FROM members") as usize
        },
        30,
    )
    .await;
    assert!(resumed < fresh, "resumed {resumed} calls, fresh {fresh}");
    let db = rusqlite::Connection::open(&file.0).unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM members"), 700);
    assert_eq!(count(&db, "SELECT count(*) FROM departments"), 31);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM sync_runs WHERE finished_at IS NOT NULL"
        ),
        1,
        "the resumed run is the interrupted one, now finished"
    );
}
