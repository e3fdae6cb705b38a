//! A test that kills its own operation midway: the test binary runs itself
//! as a child (its `child_process` test, with `envs` telling it what to
//! do), and the child prints `progress N` lines on stderr as bytes move.
//!
//! The kill never races the child: the parent tells it where to stop
//! ([`STOP_AT`]), and the child's progress observer calls [`park_at_stop`],
//! which parks the child for good once it got there. However slowly the
//! parent runs on a loaded machine, the child cannot finish first.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The environment variable holding where a child stops: a byte count
/// (`123456`) or a share of the operation's total (`40%`).
pub const STOP_AT: &str = "OCIREG_CHILD_STOP_AT";

/// The line a child prints on stderr when it stopped at [`STOP_AT`].
pub const STOPPED: &str = "stopped";

/// The child's side: call from the progress observer after printing the
/// report. Once `done` of `total` bytes reached [`STOP_AT`], it prints
/// [`STOPPED`] and the calling thread parks for good (holding the operation's progress lock, so no
/// other transfer of the operation reports, and none can finish), and the
/// parent kills the process. Does nothing when [`STOP_AT`] is not set.
pub fn park_at_stop(done: u64, total: u64) {
    let Ok(stop) = std::env::var(STOP_AT) else {
        return;
    };
    let reached = match stop.strip_suffix('%') {
        Some(percent) => {
            let share: f64 = percent.parse().expect("a percentage in STOP_AT");
            done as f64 >= share / 100.0 * total as f64
        }
        None => done >= stop.parse::<u64>().expect("a byte count in STOP_AT"),
    };
    if reached {
        eprintln!("{STOPPED}");
        loop {
            std::thread::park();
        }
    }
}

/// Runs this test binary's `child_process` test with `envs` set and kills
/// it (SIGKILL) once it stopped at `at` bytes; panics unless it was killed
/// there.
pub fn kill_child_at(envs: &[(&str, &OsStr)], at: u64) {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args([
            "--exact",
            "child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(STOP_AT, at.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in envs {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("starting the child");
    let stderr = child.stderr.take().expect("the child's stderr");
    let mut killed = false;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if line == STOPPED {
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
