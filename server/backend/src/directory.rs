//! A copy of the organisation's tree (组织架构同步): departments from the root (dept_id 1) with
//! `topapi/v2/department/listsub`, members per department with `topapi/v2/user/list` (cursor paging,
//! 100 a page), each member once however many departments it is in.
//!
//! DingTalk's limits are the budget: 20 calls/s per app per API (errcode 90018) — open.dingtalk.com
//! "如何处理钉钉服务端API限流". Each API gets its own [`Pacer`] (one call every 1/rate s); calls run
//! concurrently up to `concurrency`, so the wall time approaches calls ÷ rate. A rate-limit answer
//! (90018, 90002, 90019, 90020, v1.0 throttling) is retried after a backoff (two slots, doubling to
//! 30 s, at most 12 times): no page is skipped. Any other failure stops the run with a non-zero exit; what was
//! written so far stays written.
//!
//! Output, JSON Lines (one object a line, flushed as found): `{"type":"department","deptId",
//! "parentId","name"}`, `{"type":"member","userId","unionId","name","title","departmentIds",
//! "admin","active"}`, then, with `--previous FILE` (the output of an earlier complete run),
//! `{"type":"removed_department","deptId"}` / `{"type":"removed_member","userId"}` for what is gone,
//! and last `{"type":"summary",…}`.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dingtalk_openapi::{MemberDetails, OpenApiError, OrgClient};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Spaces the calls of one API: each caller gets the next free slot, `interval` after the previous.
pub(crate) struct Pacer {
    next: tokio::sync::Mutex<tokio::time::Instant>,
    interval: Duration,
}

impl Pacer {
    /// Slots 3 % wider than `1/per_second`: requests leave evenly spaced but reach DingTalk with
    /// network jitter, and a per-second window counts arrivals.
    pub(crate) fn new(per_second: u32) -> Self {
        Pacer {
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
            interval: Duration::from_secs_f64(1.03 / f64::from(per_second.max(1))),
        }
    }

    /// Waits for this call's slot.
    pub(crate) async fn slot(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let at = (*next).max(now);
            *next = at + self.interval;
            at
        };
        tokio::time::sleep_until(at).await;
    }

    /// Pushes every later slot back by `d` (after a rate-limit answer).
    async fn back_off(&self, d: Duration) {
        let mut next = self.next.lock().await;
        *next = (*next).max(tokio::time::Instant::now() + d);
    }
}

/// Counts of a run.
#[derive(Default)]
pub struct SyncStats {
    /// `listsub` calls.
    pub department_calls: AtomicU64,
    /// `user/list` calls.
    pub member_calls: AtomicU64,
    /// Rate-limit answers (retried).
    pub rate_limited: AtomicU64,
    /// Departments found (the root included).
    pub departments: AtomicU64,
    /// Distinct members found.
    pub members: AtomicU64,
}

struct Run {
    org: Arc<OrgClient>,
    listsub: Pacer,
    list: Pacer,
    stats: SyncStats,
    out: Mutex<Box<dyn Write + Send>>,
    seen_members: Mutex<HashSet<String>>,
    seen_departments: Mutex<HashSet<u64>>,
}

const MAX_RETRIES: u32 = 12;

impl Run {
    fn write(&self, v: &serde_json::Value) -> Result<(), String> {
        let mut out = self.out.lock().expect("output lock");
        writeln!(out, "{v}")
            .and_then(|_| out.flush())
            .map_err(|e| format!("cannot write the output: {e}"))
    }

    /// `call` paced by `pacer`, retried after a backoff on a rate-limit answer.
    async fn paced<T, F, Fut>(
        &self,
        pacer: &Pacer,
        counter: &AtomicU64,
        call: F,
    ) -> Result<T, String>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, OpenApiError>>,
    {
        // A per-second window frees a slot within a second: start small, double up to 30 s (the org's
        // quota, 90020, needs the long waits).
        let mut backoff = pacer.interval * 2;
        for attempt in 0.. {
            pacer.slot().await;
            counter.fetch_add(1, Ordering::Relaxed);
            match call().await {
                Err(OpenApiError::RateLimited { .. }) if attempt < MAX_RETRIES => {
                    self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                    pacer.back_off(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
                Err(e) => {
                    if let Some(hint) = e.operator_hint() {
                        return Err(format!("{e}: {hint}"));
                    }
                    return Err(e.to_string());
                }
                Ok(v) => return Ok(v),
            }
        }
        unreachable!("the loop returns")
    }

    async fn department(self: Arc<Self>, dept_id: u64) -> Result<Vec<u64>, String> {
        let subs = self
            .paced(&self.listsub, &self.stats.department_calls, || {
                self.org.sub_departments(dept_id)
            })
            .await?;
        let mut children = Vec::with_capacity(subs.len());
        for d in subs {
            if self
                .seen_departments
                .lock()
                .expect("lock")
                .insert(d.dept_id)
            {
                self.stats.departments.fetch_add(1, Ordering::Relaxed);
                self.write(
                    &serde_json::json!({"type": "department", "deptId": d.dept_id,
                    "parentId": d.parent_id, "name": d.name}),
                )?;
                children.push(d.dept_id);
            }
        }
        Ok(children)
    }

    async fn members(self: Arc<Self>, dept_id: u64) -> Result<(), String> {
        let mut cursor = 0;
        loop {
            let page = self
                .paced(&self.list, &self.stats.member_calls, || {
                    self.org.members_page(dept_id, cursor, 100)
                })
                .await?;
            for m in page.members {
                if self
                    .seen_members
                    .lock()
                    .expect("lock")
                    .insert(m.user_id.clone())
                {
                    self.stats.members.fetch_add(1, Ordering::Relaxed);
                    self.write(&member_line(&m))?;
                }
            }
            match page.next_cursor {
                Some(c) => cursor = c,
                None => return Ok(()),
            }
        }
    }
}

fn member_line(m: &MemberDetails) -> serde_json::Value {
    serde_json::json!({"type": "member", "userId": m.user_id, "unionId": m.union_id, "name": m.name,
        "title": m.title, "departmentIds": m.department_ids, "admin": m.admin, "active": m.active})
}

/// What a sync reads and writes.
pub struct SyncOptions {
    /// Calls per second per API (DingTalk: 20).
    pub per_api_rate: u32,
    /// Calls in flight at most.
    pub concurrency: usize,
    /// The departments and members of an earlier complete run (its output), for the removed lines.
    pub previous: Option<(HashSet<u64>, HashSet<String>)>,
    /// Show a progress line on stderr (when it is a terminal).
    pub progress: bool,
}

/// Reads an earlier run's output: its departments and members.
pub fn read_previous(path: &str) -> Result<(HashSet<u64>, HashSet<String>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut depts = HashSet::new();
    let mut members = HashSet::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{path}:{}: {e}", i + 1))?;
        match v["type"].as_str() {
            Some("department") => {
                depts.insert(v["deptId"].as_u64().unwrap_or_default());
            }
            Some("member") => {
                members.insert(v["userId"].as_str().unwrap_or_default().to_owned());
            }
            _ => {}
        }
    }
    Ok((depts, members))
}

/// Copies the organisation to `out`. On failure, what was written stays written and the error says
/// why the run stopped.
pub async fn sync(
    org: Arc<OrgClient>,
    out: Box<dyn Write + Send>,
    opts: SyncOptions,
) -> Result<serde_json::Value, String> {
    let started = Instant::now();
    let run = Arc::new(Run {
        org,
        listsub: Pacer::new(opts.per_api_rate),
        list: Pacer::new(opts.per_api_rate),
        stats: SyncStats::default(),
        out: Mutex::new(out),
        seen_members: Mutex::new(HashSet::new()),
        seen_departments: Mutex::new(HashSet::from([1])),
    });
    run.stats.departments.fetch_add(1, Ordering::Relaxed);
    run.write(
        &serde_json::json!({"type": "department", "deptId": 1, "parentId": null, "name": null}),
    )?;
    let limit = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let mut tasks: JoinSet<Result<Vec<u64>, String>> = JoinSet::new();
    let spawn = |tasks: &mut JoinSet<Result<Vec<u64>, String>>, dept: u64| {
        for members in [false, true] {
            let run = run.clone();
            let limit = limit.clone();
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await.expect("never closed");
                if members {
                    run.members(dept).await.map(|()| Vec::new())
                } else {
                    run.department(dept).await
                }
            });
        }
    };
    spawn(&mut tasks, 1);
    let progress = opts.progress && std::io::stderr().is_terminal();
    let mut last_progress = Instant::now();
    while let Some(done) = tasks.join_next().await {
        let children = match done {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                tasks.abort_all();
                return Err(e);
            }
            Err(e) => return Err(format!("a sync task failed: {e}")),
        };
        for c in children {
            spawn(&mut tasks, c);
        }
        if progress && last_progress.elapsed() > Duration::from_millis(500) {
            last_progress = Instant::now();
            eprint!(
                "\r{} departments, {} members, {} calls, {:.0} s   ",
                run.stats.departments.load(Ordering::Relaxed),
                run.stats.members.load(Ordering::Relaxed),
                run.stats.department_calls.load(Ordering::Relaxed)
                    + run.stats.member_calls.load(Ordering::Relaxed),
                started.elapsed().as_secs_f64()
            );
        }
    }
    if progress {
        eprintln!();
    }
    let mut removed = (0u64, 0u64);
    if let Some((depts, members)) = &opts.previous {
        let now_d = run.seen_departments.lock().expect("lock").clone();
        let now_m = run.seen_members.lock().expect("lock").clone();
        for d in depts.difference(&now_d) {
            removed.0 += 1;
            run.write(&serde_json::json!({"type": "removed_department", "deptId": d}))?;
        }
        for m in members.difference(&now_m) {
            removed.1 += 1;
            run.write(&serde_json::json!({"type": "removed_member", "userId": m}))?;
        }
    }
    let s = &run.stats;
    let (dc, mc) = (
        s.department_calls.load(Ordering::Relaxed),
        s.member_calls.load(Ordering::Relaxed),
    );
    let summary = serde_json::json!({"type": "summary",
        "departments": s.departments.load(Ordering::Relaxed),
        "members": s.members.load(Ordering::Relaxed),
        "removedDepartments": removed.0, "removedMembers": removed.1,
        "departmentCalls": dc, "memberCalls": mc,
        "rateLimited": s.rate_limited.load(Ordering::Relaxed),
        "boundSecs": dc.max(mc) as f64 / f64::from(opts.per_api_rate.max(1)),
        "wallSecs": started.elapsed().as_secs_f64()});
    run.write(&summary)?;
    Ok(summary)
}
