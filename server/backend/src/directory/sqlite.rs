//! The SQLite sink: upserts departments, members and their memberships into a SQLite file, an
//! embedded database a CRM can read directly (schema in server/README.md, "Directory sync").
//!
//! Each finished unit of work is one transaction holding its rows and its checkpoint: a
//! department's `listsub` (the children and `sync_listed`), a page of members (the members, their
//! memberships and `sync_pages`). A run that finds an unfinished run in the file resumes it.
//!
//! When a run completes, departments and members it did not see (their `last_seen_run` is older)
//! are *marked* removed — `removed_at` set, the row kept so that the CRM's own references to it stay
//! valid — and a removed member's memberships are deleted. A row seen again is unmarked.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use dingtalk_openapi::MemberDetails;
use rusqlite::{params, Connection, OptionalExtension};

use super::{Department, Progress, Removed, SyncSink};

/// The schema (`CREATE … IF NOT EXISTS`: applied to every file opened).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS departments (
    dept_id       INTEGER PRIMARY KEY,
    parent_id     INTEGER,           -- NULL for the root (dept_id 1)
    name          TEXT,              -- NULL for the root
    last_seen_run INTEGER NOT NULL,  -- sync_runs.run_id
    removed_at    INTEGER            -- unix seconds; NULL while the department exists
);
CREATE TABLE IF NOT EXISTS members (
    user_id       TEXT PRIMARY KEY,  -- userid in the organisation
    union_id      TEXT,
    name          TEXT NOT NULL,
    title         TEXT NOT NULL,
    admin         INTEGER NOT NULL,  -- 0/1
    active        INTEGER NOT NULL,  -- 0/1
    last_seen_run INTEGER NOT NULL,
    removed_at    INTEGER
);
CREATE TABLE IF NOT EXISTS memberships (
    user_id TEXT NOT NULL,
    dept_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, dept_id)
);
CREATE INDEX IF NOT EXISTS memberships_by_dept ON memberships (dept_id);
CREATE TABLE IF NOT EXISTS sync_runs (
    run_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,             -- NULL: unfinished (the next run resumes it)
    summary     TEXT                 -- the run's summary (JSON)
);
CREATE TABLE IF NOT EXISTS sync_listed (
    run_id  INTEGER NOT NULL,
    dept_id INTEGER NOT NULL,
    PRIMARY KEY (run_id, dept_id)
);
CREATE TABLE IF NOT EXISTS sync_pages (
    run_id      INTEGER NOT NULL,
    dept_id     INTEGER NOT NULL,
    next_cursor INTEGER,             -- NULL: every page of the department is done
    PRIMARY KEY (run_id, dept_id)
);
";

/// A SQLite file being synced.
pub struct SqliteSink {
    db: Connection,
    run_id: i64,
    progress: Progress,
    /// Where the removed departments and members and the summary are reported (JSON Lines).
    report: Option<Box<dyn Write + Send>>,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn db_err(path: &str) -> impl Fn(rusqlite::Error) -> String + '_ {
    move |e| format!("SQLite {path}: {e}")
}

impl SqliteSink {
    /// Opens (or creates) the file, and resumes its unfinished run or starts a new one. `report`
    /// gets the `removed_department` / `removed_member` lines and the summary, as the JSON Lines
    /// sink writes them.
    pub fn open(path: &Path, report: Option<Box<dyn Write + Send>>) -> Result<Self, String> {
        let p = path.display().to_string();
        let e = db_err(&p);
        let db = Connection::open(path).map_err(&e)?;
        // WAL: a CRM reading the file does not block the sync, nor the sync the CRM.
        db.pragma_update(None, "journal_mode", "WAL").map_err(&e)?;
        db.execute_batch(SCHEMA).map_err(&e)?;
        let unfinished: Option<i64> = db
            .query_row(
                "SELECT max(run_id) FROM sync_runs WHERE finished_at IS NULL",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(&e)?
            .flatten();
        let mut progress = Progress::default();
        let run_id = match unfinished {
            Some(run) => {
                let mut q = db
                    .prepare("SELECT dept_id, parent_id FROM departments WHERE last_seen_run = ?1")
                    .map_err(&e)?;
                for row in q
                    .query_map([run], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
                    })
                    .map_err(&e)?
                {
                    let (d, parent) = row.map_err(&e)?;
                    progress
                        .departments
                        .insert(d as u64, parent.map(|x| x as u64));
                }
                let mut q = db
                    .prepare("SELECT user_id FROM members WHERE last_seen_run = ?1")
                    .map_err(&e)?;
                for row in q.query_map([run], |r| r.get::<_, String>(0)).map_err(&e)? {
                    progress.members.insert(row.map_err(&e)?);
                }
                let mut q = db
                    .prepare("SELECT dept_id FROM sync_listed WHERE run_id = ?1")
                    .map_err(&e)?;
                for row in q.query_map([run], |r| r.get::<_, i64>(0)).map_err(&e)? {
                    progress.listed.insert(row.map_err(&e)? as u64);
                }
                let mut q = db
                    .prepare("SELECT dept_id, next_cursor FROM sync_pages WHERE run_id = ?1")
                    .map_err(&e)?;
                for row in q
                    .query_map([run], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
                    })
                    .map_err(&e)?
                {
                    let (d, next) = row.map_err(&e)?;
                    progress.pages.insert(d as u64, next.map(|c| c as u64));
                }
                run
            }
            None => {
                db.execute(
                    "INSERT INTO sync_runs (started_at) VALUES (?1)",
                    [now_secs()],
                )
                .map_err(&e)?;
                db.last_insert_rowid()
            }
        };
        Ok(SqliteSink {
            db,
            run_id,
            progress,
            report,
        })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> String {
        |e| format!("SQLite: {e}")
    }

    fn upsert_department(
        tx: &rusqlite::Transaction<'_>,
        run: i64,
        d: &Department,
    ) -> rusqlite::Result<()> {
        tx.execute(
            "INSERT INTO departments (dept_id, parent_id, name, last_seen_run, removed_at)
             VALUES (?1, ?2, ?3, ?4, NULL)
             ON CONFLICT (dept_id) DO UPDATE SET parent_id = excluded.parent_id,
               name = excluded.name, last_seen_run = excluded.last_seen_run, removed_at = NULL",
            params![d.dept_id as i64, d.parent_id.map(|p| p as i64), d.name, run],
        )?;
        Ok(())
    }
}

impl SyncSink for SqliteSink {
    fn progress(&mut self) -> Result<Progress, String> {
        Ok(std::mem::take(&mut self.progress))
    }

    fn root(&mut self, root: &Department) -> Result<(), String> {
        let e = self.err();
        let tx = self.db.transaction().map_err(&e)?;
        Self::upsert_department(&tx, self.run_id, root).map_err(&e)?;
        tx.commit().map_err(&e)
    }

    fn listed(&mut self, parent: u64, children: &[Department]) -> Result<(), String> {
        let e = self.err();
        let tx = self.db.transaction().map_err(&e)?;
        for d in children {
            Self::upsert_department(&tx, self.run_id, d).map_err(&e)?;
        }
        tx.execute(
            "INSERT OR IGNORE INTO sync_listed (run_id, dept_id) VALUES (?1, ?2)",
            params![self.run_id, parent as i64],
        )
        .map_err(&e)?;
        tx.commit().map_err(&e)
    }

    fn page(&mut self, dept: u64, new: &[MemberDetails], next: Option<u64>) -> Result<(), String> {
        let e = self.err();
        let run = self.run_id;
        let tx = self.db.transaction().map_err(&e)?;
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO members (user_id, union_id, name, title, admin, active, last_seen_run, removed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)
                     ON CONFLICT (user_id) DO UPDATE SET union_id = excluded.union_id,
                       name = excluded.name, title = excluded.title, admin = excluded.admin,
                       active = excluded.active, last_seen_run = excluded.last_seen_run,
                       removed_at = NULL",
                )
                .map_err(&e)?;
            let mut forget = tx
                .prepare_cached("DELETE FROM memberships WHERE user_id = ?1")
                .map_err(&e)?;
            let mut join = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO memberships (user_id, dept_id) VALUES (?1, ?2)",
                )
                .map_err(&e)?;
            for m in new {
                upsert
                    .execute(params![
                        m.user_id, m.union_id, m.name, m.title, m.admin, m.active, run
                    ])
                    .map_err(&e)?;
                // A member's departments are the ones DingTalk lists now: the old set goes.
                forget.execute([&m.user_id]).map_err(&e)?;
                for d in &m.department_ids {
                    join.execute(params![m.user_id, *d as i64]).map_err(&e)?;
                }
            }
        }
        tx.execute(
            "INSERT INTO sync_pages (run_id, dept_id, next_cursor) VALUES (?1, ?2, ?3)
             ON CONFLICT (run_id, dept_id) DO UPDATE SET next_cursor = excluded.next_cursor",
            params![run, dept as i64, next.map(|c| c as i64)],
        )
        .map_err(&e)?;
        tx.commit().map_err(&e)
    }

    fn finish(
        &mut self,
        _departments: &HashSet<u64>,
        _members: &HashSet<String>,
    ) -> Result<Removed, String> {
        // Only read here: the marks are written with the run's end, in one transaction (`summary`).
        let e = self.err();
        let mut removed = Removed::default();
        let mut q = self
            .db
            .prepare(
                "SELECT dept_id FROM departments
                 WHERE last_seen_run < ?1 AND removed_at IS NULL ORDER BY dept_id",
            )
            .map_err(&e)?;
        for row in q
            .query_map([self.run_id], |r| r.get::<_, i64>(0))
            .map_err(&e)?
        {
            removed.departments.push(row.map_err(&e)? as u64);
        }
        let mut q = self
            .db
            .prepare(
                "SELECT user_id FROM members
                 WHERE last_seen_run < ?1 AND removed_at IS NULL ORDER BY user_id",
            )
            .map_err(&e)?;
        for row in q
            .query_map([self.run_id], |r| r.get::<_, String>(0))
            .map_err(&e)?
        {
            removed.members.push(row.map_err(&e)?);
        }
        if let Some(out) = &mut self.report {
            let w = |out: &mut Box<dyn Write + Send>, v: serde_json::Value| {
                writeln!(out, "{v}").map_err(|e| format!("cannot write the report: {e}"))
            };
            for d in &removed.departments {
                w(
                    out,
                    serde_json::json!({"type": "removed_department", "deptId": d}),
                )?;
            }
            for m in &removed.members {
                w(
                    out,
                    serde_json::json!({"type": "removed_member", "userId": m}),
                )?;
            }
        }
        Ok(removed)
    }

    fn summary(&mut self, summary: &serde_json::Value) -> Result<(), String> {
        let e = self.err();
        let (run, now) = (self.run_id, now_secs());
        let tx = self.db.transaction().map_err(&e)?;
        tx.execute(
            "UPDATE departments SET removed_at = ?2 WHERE last_seen_run < ?1 AND removed_at IS NULL",
            params![run, now],
        )
        .map_err(&e)?;
        tx.execute(
            "UPDATE members SET removed_at = ?2 WHERE last_seen_run < ?1 AND removed_at IS NULL",
            params![run, now],
        )
        .map_err(&e)?;
        tx.execute(
            "DELETE FROM memberships WHERE user_id IN
               (SELECT user_id FROM members WHERE removed_at IS NOT NULL)",
            [],
        )
        .map_err(&e)?;
        tx.execute(
            "UPDATE sync_runs SET finished_at = ?2, summary = ?3 WHERE run_id = ?1",
            params![run, now, summary.to_string()],
        )
        .map_err(&e)?;
        // Complete: this run's checkpoint is no longer needed.
        tx.execute("DELETE FROM sync_listed WHERE run_id = ?1", [run])
            .map_err(&e)?;
        tx.execute("DELETE FROM sync_pages WHERE run_id = ?1", [run])
            .map_err(&e)?;
        tx.commit().map_err(&e)?;
        if let Some(out) = &mut self.report {
            writeln!(out, "{summary}")
                .and_then(|()| out.flush())
                .map_err(|e| format!("cannot write the report: {e}"))?;
        }
        Ok(())
    }
}
