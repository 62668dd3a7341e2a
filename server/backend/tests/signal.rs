//! `shutdown_signal` owns SIGTERM from the moment it is called: a SIGTERM that arrives before the
//! server's task first polls it (right after the start-up line) is a graceful shutdown, not the
//! default action. Its own test binary, since without that guarantee the signal kills the process.

use std::process::Command;
use std::time::Duration;

#[tokio::test]
async fn a_sigterm_before_the_first_poll_is_caught() {
    let stop = dingtalk_auth_server::serve::shutdown_signal();
    assert!(Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap()
        .success());
    // Generous: the signal is already pending, this only bounds a broken handler.
    tokio::time::timeout(Duration::from_secs(30), stop)
        .await
        .expect("the SIGTERM sent before the first poll completes the shutdown signal");
}
