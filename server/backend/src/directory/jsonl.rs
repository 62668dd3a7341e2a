//! The JSON Lines sink (the default): one object a line, flushed as found.
//!
//! `{"type":"department","deptId","parentId","name"}`, `{"type":"member","userId","unionId","name",
//! "title","departmentIds","admin","active"}`, then, given the output of an earlier complete run,
//! `{"type":"removed_department","deptId"}` / `{"type":"removed_member","userId"}` for what is gone,
//! and last `{"type":"summary",…}`.
//!
//! Written to a file, the run keeps a checkpoint next to it, `<file>.checkpoint`: a line per finished
//! unit of work (`{"listed":deptId}`, `{"page":deptId,"next":cursor|null}`), appended after that
//! unit's lines are flushed, and deleted when the run completes. A run that finds the checkpoint
//! resumes: it reads back the departments and members the file already holds (dropping a last line
//! cut short by the failure), appends only what is new, and skips the finished units. Written to
//! stdout, a run cannot resume.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use dingtalk_openapi::MemberDetails;

use super::{Department, Progress, Removed, SyncSink};

/// JSON Lines to a writer, with a checkpoint file when the writer is a file.
pub struct JsonlSink {
    out: Box<dyn Write + Send>,
    checkpoint: Option<(PathBuf, BufWriter<File>)>,
    progress: Progress,
    previous: Option<(HashSet<u64>, HashSet<String>)>,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

impl JsonlSink {
    /// To a stream (stdout): no checkpoint. `previous`: an earlier complete run's departments and
    /// members, for the removed lines.
    pub fn stream(
        out: Box<dyn Write + Send>,
        previous: Option<(HashSet<u64>, HashSet<String>)>,
    ) -> Self {
        JsonlSink {
            out,
            checkpoint: None,
            progress: Progress::default(),
            previous,
        }
    }

    /// To the file at `path`: resumes the run its checkpoint describes, or starts a new file.
    pub fn file(
        path: &Path,
        previous: Option<(HashSet<u64>, HashSet<String>)>,
    ) -> Result<Self, String> {
        let cp_path = checkpoint_path(path);
        let mut progress = Progress::default();
        let out = if cp_path.exists() {
            let text = std::fs::read(path).map_err(io(path))?;
            // A failure can cut the last line short: keep whole lines only.
            let whole = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            let f = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(io(path))?;
            f.set_len(whole as u64).map_err(io(path))?;
            read_lines(path, &text[..whole], |v| match v["type"].as_str() {
                Some("department") => {
                    progress.departments.insert(
                        v["deptId"].as_u64().unwrap_or_default(),
                        v["parentId"].as_u64(),
                    );
                }
                Some("member") => {
                    progress
                        .members
                        .insert(v["userId"].as_str().unwrap_or_default().to_owned());
                }
                _ => {}
            })?;
            let cp = std::fs::read(&cp_path).map_err(io(&cp_path))?;
            let whole = cp.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            read_lines(&cp_path, &cp[..whole], |v| {
                if let Some(d) = v["listed"].as_u64() {
                    progress.listed.insert(d);
                } else if let Some(d) = v["page"].as_u64() {
                    progress.pages.insert(d, v["next"].as_u64());
                }
            })?;
            OpenOptions::new()
                .append(true)
                .open(path)
                .map_err(io(path))?
        } else {
            File::create(path).map_err(io(path))?
        };
        let cp = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&cp_path)
            .map_err(io(&cp_path))?;
        Ok(JsonlSink {
            out: Box::new(BufWriter::new(out)),
            checkpoint: Some((cp_path, BufWriter::new(cp))),
            progress,
            previous,
        })
    }

    fn write(&mut self, v: &serde_json::Value) -> Result<(), String> {
        writeln!(self.out, "{v}").map_err(|e| format!("cannot write the output: {e}"))
    }

    fn flush(&mut self) -> Result<(), String> {
        self.out
            .flush()
            .map_err(|e| format!("cannot write the output: {e}"))
    }

    /// Flushes the output, then records `v` in the checkpoint.
    fn mark(&mut self, v: serde_json::Value) -> Result<(), String> {
        self.flush()?;
        if let Some((path, cp)) = &mut self.checkpoint {
            writeln!(cp, "{v}")
                .and_then(|()| cp.flush())
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }
}

/// `<output>.checkpoint`.
pub fn checkpoint_path(output: &Path) -> PathBuf {
    let mut p = output.as_os_str().to_owned();
    p.push(".checkpoint");
    PathBuf::from(p)
}

fn read_lines(
    path: &Path,
    text: &[u8],
    mut each: impl FnMut(serde_json::Value),
) -> Result<(), String> {
    let text = std::str::from_utf8(text).map_err(|e| format!("{}: {e}", path.display()))?;
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v =
            serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        each(v);
    }
    Ok(())
}

fn department_line(d: &Department) -> serde_json::Value {
    serde_json::json!({"type": "department", "deptId": d.dept_id, "parentId": d.parent_id, "name": d.name})
}

fn member_line(m: &MemberDetails) -> serde_json::Value {
    serde_json::json!({"type": "member", "userId": m.user_id, "unionId": m.union_id, "name": m.name,
        "title": m.title, "departmentIds": m.department_ids, "admin": m.admin, "active": m.active})
}

impl SyncSink for JsonlSink {
    fn progress(&mut self) -> Result<Progress, String> {
        Ok(std::mem::take(&mut self.progress))
    }

    fn root(&mut self, root: &Department) -> Result<(), String> {
        self.write(&department_line(root))?;
        self.flush()
    }

    fn listed(&mut self, parent: u64, children: &[Department]) -> Result<(), String> {
        for d in children {
            self.write(&department_line(d))?;
        }
        self.mark(serde_json::json!({ "listed": parent }))
    }

    fn page(&mut self, dept: u64, new: &[MemberDetails], next: Option<u64>) -> Result<(), String> {
        for m in new {
            self.write(&member_line(m))?;
        }
        self.mark(serde_json::json!({ "page": dept, "next": next }))
    }

    fn finish(
        &mut self,
        departments: &HashSet<u64>,
        members: &HashSet<String>,
    ) -> Result<Removed, String> {
        let mut removed = Removed::default();
        if let Some((depts, before)) = self.previous.take() {
            removed.departments = depts.difference(departments).copied().collect();
            removed.departments.sort_unstable();
            removed.members = before.difference(members).cloned().collect();
            removed.members.sort_unstable();
        }
        for d in removed.departments.clone() {
            self.write(&serde_json::json!({"type": "removed_department", "deptId": d}))?;
        }
        for m in removed.members.clone() {
            self.write(&serde_json::json!({"type": "removed_member", "userId": m}))?;
        }
        Ok(removed)
    }

    fn summary(&mut self, summary: &serde_json::Value) -> Result<(), String> {
        self.write(summary)?;
        self.flush()?;
        // Complete: the next run starts afresh.
        if let Some((path, _)) = self.checkpoint.take() {
            std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }
}

/// Reads an earlier complete run's output: its departments and members.
pub fn read_previous(path: &Path) -> Result<(HashSet<u64>, HashSet<String>), String> {
    let text = std::fs::read(path).map_err(io(path))?;
    let (mut depts, mut members) = (HashSet::new(), HashSet::new());
    read_lines(path, &text, |v| match v["type"].as_str() {
        Some("department") => {
            depts.insert(v["deptId"].as_u64().unwrap_or_default());
        }
        Some("member") => {
            members.insert(v["userId"].as_str().unwrap_or_default().to_owned());
        }
        _ => {}
    })?;
    Ok((depts, members))
}
