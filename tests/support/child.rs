//! A test that kills its own operation midway: the test binary runs itself
//! as a child (its `child_process` test, with `envs` telling it what to
//! do), and the child prints `progress N` lines on stderr as bytes move.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Runs this test binary's `child_process` test with `envs` set and kills
/// it (SIGKILL) once it reported `at` bytes; panics unless it was killed.
pub fn kill_child_at(envs: &[(&str, &OsStr)], at: u64) {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args([
            "--exact",
            "child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in envs {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("starting the child");
    let stderr = child.stderr.take().expect("the child's stderr");
    let mut killed = false;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        let done = line
            .strip_prefix("progress ")
            .and_then(|p| p.parse::<u64>().ok());
        if done.is_some_and(|d| d >= at) {
            child.kill().expect("SIGKILL");
            killed = true;
            break;
        }
    }
    let status = child.wait().expect("waiting for the child");
    assert!(
        killed && !status.success(),
        "the child was killed: {status}"
    );
}
