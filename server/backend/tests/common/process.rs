//! Child processes for the tests that run the binary: always killed, every wait bounded.

use std::io::Read;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a child may take to announce itself or to exit: generous for a loaded 2-core machine,
/// still a bound, so a hung child fails the test instead of hanging it.
pub const CHILD_BOUND: Duration = Duration::from_secs(30);

/// A child process that is killed (and reaped) when the guard drops, also when the test panics.
pub struct ChildGuard(pub Child);

impl ChildGuard {
    pub fn spawn(cmd: &mut Command) -> Self {
        ChildGuard(cmd.spawn().expect("the child starts"))
    }

    /// Waits for the exit, at most `bound`.
    pub fn wait_within(&mut self, bound: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(
                start.elapsed() < bound,
                "the child did not exit within {bound:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the exit, at most [`CHILD_BOUND`].
    pub fn wait_bounded(&mut self) -> ExitStatus {
        self.wait_within(CHILD_BOUND)
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        assert!(Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .unwrap()
            .success());
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `cmd` to its end like [`Command::output`], but bounded: a child that does not exit within
/// [`CHILD_BOUND`] (e.g. a server that should have refused to start and serves instead) is killed
/// and the test fails with a message, instead of hanging.
#[allow(dead_code)] // not every test binary runs one-shot commands
pub fn output_bounded(cmd: &mut Command) -> Output {
    let mut child = ChildGuard::spawn(cmd.stdout(Stdio::piped()).stderr(Stdio::piped()));
    // Both pipes are drained on threads, so a full pipe cannot block the child's exit.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.0.stdout.take().unwrap()));
    let err = drain(Box::new(child.0.stderr.take().unwrap()));
    let status = child.wait_bounded();
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// The child's stdout lines, read on a thread so that every read can be bounded.
pub fn stdout_lines(out: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The next stdout line, within [`CHILD_BOUND`].
pub fn next_line(rx: &mpsc::Receiver<String>) -> String {
    rx.recv_timeout(CHILD_BOUND)
        .unwrap_or_else(|e| panic!("no stdout line from the child within {CHILD_BOUND:?}: {e}"))
}

/// The URL of the first `{"event":"listening"}` line.
pub fn listening_url(rx: &mpsc::Receiver<String>) -> String {
    loop {
        let line = next_line(rx);
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
            if v["event"] == "listening" {
                return v["url"].as_str().expect("url").to_owned();
            }
        }
    }
}
