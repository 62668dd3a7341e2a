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
//! Where it goes is a [`SyncSink`]: JSON Lines ([`jsonl`], the default) or a SQLite file
//! ([`sqlite`]). Each finished unit of work — one department's `listsub`, one page of members — is
//! recorded together with the sink's checkpoint, so an interrupted run resumes where it stopped:
//! finished `listsub`s are not called again, a department's members continue at the cursor of the
//! next unfinished page, and members already written are not written again.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
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

pub mod jsonl;
pub mod sqlite;

/// A department as the sink records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Department {
    /// `dept_id`.
    pub dept_id: u64,
    /// `parent_id`; `None` for the root.
    pub parent_id: Option<u64>,
    /// `name`; `None` for the root (`listsub` of the root does not name it).
    pub name: Option<String>,
}

/// What an unfinished run had already done (empty for a fresh run).
#[derive(Clone, Debug, Default)]
pub struct Progress {
    /// Departments recorded in this run: id → parent.
    pub departments: HashMap<u64, Option<u64>>,
    /// Departments whose `listsub` finished: their children are in `departments`.
    pub listed: HashSet<u64>,
    /// Member paging per department: the next page's cursor, or `None` when all pages are done.
    /// A department absent here starts at cursor 0.
    pub pages: HashMap<u64, Option<u64>>,
    /// Members recorded in this run.
    pub members: HashSet<String>,
}

impl Progress {
    /// True when nothing was done yet.
    pub fn is_fresh(&self) -> bool {
        self.departments.is_empty()
    }
}

/// What was removed since the previous complete run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// Departments gone.
    pub departments: Vec<u64>,
    /// Members gone.
    pub members: Vec<String>,
}

/// Where a sync writes. Each call records one finished unit of work and its checkpoint together (a
/// SQLite transaction; for JSON Lines the lines first, then the checkpoint line), so that after a
/// failure [`SyncSink::progress`] tells exactly what is done.
pub trait SyncSink: Send {
    /// What an interrupted earlier run already did (empty when there is none).
    fn progress(&mut self) -> Result<Progress, String>;
    /// The root department (only in a fresh run).
    fn root(&mut self, root: &Department) -> Result<(), String>;
    /// `parent`'s `listsub` finished with these children (each department is recorded once).
    fn listed(&mut self, parent: u64, children: &[Department]) -> Result<(), String>;
    /// A page of `dept`'s members finished: `new` are the members not recorded before in this run;
    /// `next` is the next page's cursor, `None` after the last page.
    fn page(&mut self, dept: u64, new: &[MemberDetails], next: Option<u64>) -> Result<(), String>;
    /// The run is complete with these departments and members: report (and record) what
    /// disappeared since the previous complete run.
    fn finish(
        &mut self,
        departments: &HashSet<u64>,
        members: &HashSet<String>,
    ) -> Result<Removed, String>;
    /// The final summary, after `finish`; the checkpoint is forgotten here.
    fn summary(&mut self, summary: &serde_json::Value) -> Result<(), String>;
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
}

struct Run {
    org: Arc<OrgClient>,
    listsub: Pacer,
    list: Pacer,
    stats: SyncStats,
    sink: Mutex<Box<dyn SyncSink>>,
    /// Departments recorded (resumed ones included): id → parent.
    departments: Mutex<HashMap<u64, Option<u64>>>,
    /// What the interrupted run had finished.
    resumed: Progress,
    seen_members: Mutex<HashSet<String>>,
}

const MAX_RETRIES: u32 = 12;

impl Run {
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

    /// `dept_id`'s children: from the checkpoint when its `listsub` finished before, else called.
    async fn department(self: Arc<Self>, dept_id: u64) -> Result<Vec<u64>, String> {
        if self.resumed.listed.contains(&dept_id) {
            let known = self.departments.lock().expect("lock");
            return Ok(known
                .iter()
                .filter(|(_, p)| **p == Some(dept_id))
                .map(|(d, _)| *d)
                .collect());
        }
        let subs = self
            .paced(&self.listsub, &self.stats.department_calls, || {
                self.org.sub_departments(dept_id)
            })
            .await?;
        // A tree: each department has one parent, so every child is walked from here once. Only
        // the ones not recorded yet (an interrupted run may have written some) are written.
        let children: Vec<u64> = subs.iter().map(|d| d.dept_id).collect();
        let new: Vec<Department> = {
            let mut known = self.departments.lock().expect("lock");
            subs.into_iter()
                .filter(|d| known.insert(d.dept_id, Some(d.parent_id)).is_none())
                .map(|d| Department {
                    dept_id: d.dept_id,
                    parent_id: Some(d.parent_id),
                    name: Some(d.name),
                })
                .collect()
        };
        self.sink.lock().expect("sink lock").listed(dept_id, &new)?;
        Ok(children)
    }

    async fn members(self: Arc<Self>, dept_id: u64) -> Result<(), String> {
        let mut cursor = match self.resumed.pages.get(&dept_id) {
            Some(None) => return Ok(()),
            Some(Some(c)) => *c,
            None => 0,
        };
        loop {
            let page = self
                .paced(&self.list, &self.stats.member_calls, || {
                    self.org.members_page(dept_id, cursor, 100)
                })
                .await?;
            let new: Vec<MemberDetails> = {
                let mut seen = self.seen_members.lock().expect("lock");
                page.members
                    .into_iter()
                    .filter(|m| seen.insert(m.user_id.clone()))
                    .collect()
            };
            // The sink lock is taken after the seen set's: a page's members and its checkpoint are
            // recorded together, and a member another page claimed is that page's to record.
            self.sink
                .lock()
                .expect("sink lock")
                .page(dept_id, &new, page.next_cursor)?;
            match page.next_cursor {
                Some(c) => cursor = c,
                None => return Ok(()),
            }
        }
    }
}

/// What a sync does besides writing.
pub struct SyncOptions {
    /// Calls per second per API (DingTalk: 20).
    pub per_api_rate: u32,
    /// Calls in flight at most.
    pub concurrency: usize,
    /// Show a progress line on stderr (when it is a terminal).
    pub progress: bool,
}

/// Copies the organisation to `sink`, resuming the sink's interrupted run if it has one. On
/// failure, what was recorded stays recorded (with its checkpoint) and the error says why the run
/// stopped.
pub async fn sync(
    org: Arc<OrgClient>,
    mut sink: Box<dyn SyncSink>,
    opts: SyncOptions,
) -> Result<serde_json::Value, String> {
    let started = Instant::now();
    let resumed = sink.progress()?;
    let resuming = !resumed.is_fresh();
    if !resuming {
        sink.root(&Department {
            dept_id: 1,
            parent_id: None,
            name: None,
        })?;
    }
    let mut departments = resumed.departments.clone();
    departments.insert(1, None);
    let run = Arc::new(Run {
        org,
        listsub: Pacer::new(opts.per_api_rate),
        list: Pacer::new(opts.per_api_rate),
        stats: SyncStats::default(),
        sink: Mutex::new(sink),
        departments: Mutex::new(departments),
        seen_members: Mutex::new(resumed.members.clone()),
        resumed,
    });
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
                // Return only once no task can touch the sink any more: a caller may resume
                // right away, from what the sink holds.
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
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
                run.departments.lock().expect("lock").len(),
                run.seen_members.lock().expect("lock").len(),
                run.stats.department_calls.load(Ordering::Relaxed)
                    + run.stats.member_calls.load(Ordering::Relaxed),
                started.elapsed().as_secs_f64()
            );
        }
    }
    if progress {
        eprintln!();
    }
    let s = &run.stats;
    let (dc, mc) = (
        s.department_calls.load(Ordering::Relaxed),
        s.member_calls.load(Ordering::Relaxed),
    );
    let mut summary = serde_json::json!({"type": "summary",
        "departments": run.departments.lock().expect("lock").len(),
        "members": run.seen_members.lock().expect("lock").len(),
        "resumed": resuming,
        "departmentCalls": dc, "memberCalls": mc,
        "rateLimited": s.rate_limited.load(Ordering::Relaxed),
        "boundSecs": dc.max(mc) as f64 / f64::from(opts.per_api_rate.max(1)),
        "wallSecs": started.elapsed().as_secs_f64()});
    let mut sink = run.sink.lock().expect("sink lock");
    let departments: HashSet<u64> = run
        .departments
        .lock()
        .expect("lock")
        .keys()
        .copied()
        .collect();
    let members = run.seen_members.lock().expect("lock").clone();
    let removed = sink.finish(&departments, &members)?;
    summary["removedDepartments"] = removed.departments.len().into();
    summary["removedMembers"] = removed.members.len().into();
    sink.summary(&summary)?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pacing, on tokio's paused clock (virtual time: exact, whatever the machine's load):
    /// however many callers ask at once, no second holds more than `rate` slots, and a back-off
    /// moves every later slot.
    #[tokio::test(start_paused = true)]
    async fn a_pacer_never_grants_more_than_its_rate_in_any_second() {
        let rate = 20;
        let pacer = Arc::new(Pacer::new(rate));
        let start = tokio::time::Instant::now();
        let mut callers = JoinSet::new();
        for _ in 0..3 * rate {
            let pacer = pacer.clone();
            callers.spawn(async move {
                pacer.slot().await;
                tokio::time::Instant::now()
            });
        }
        let mut at: Vec<_> = callers.join_all().await;
        at.sort();
        assert_eq!(at[0], start, "the first call goes at once");
        for (i, t) in at.iter().enumerate() {
            let in_a_second = at[i..]
                .iter()
                .take_while(|u| **u < *t + Duration::from_secs(1))
                .count();
            assert!(in_a_second <= rate as usize, "{in_a_second} slots from {i}");
        }
        pacer.back_off(Duration::from_secs(5)).await;
        let before = tokio::time::Instant::now();
        pacer.slot().await;
        assert!(before.elapsed() >= Duration::from_secs(5), "back-off kept");
    }
}
