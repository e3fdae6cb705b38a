//! Credential helpers: running `docker-credential-<name> get`, `store`,
//! `erase` and `list` with a bounded output and a timeout, and reading
//! their answers.

use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::credential::Credential;
use crate::error::{Error, ErrorKind, Result};
use crate::ffi::signals::with_sigpipe_blocked;
use crate::registry::helper_server_url;
/// The most a credential helper may print on stdout.
const MAX_HELPER_OUTPUT: usize = 1 << 20;
/// The user name with which a credential helper marks an identity token.
const HELPER_TOKEN_USERNAME: &str = "<token>";
/// The longest pause between two checks whether a helper has exited.
const MAX_EXIT_POLL: Duration = Duration::from_millis(20);

/// Runs docker credential helpers (`docker-credential-<name> ACTION`).
#[derive(Debug)]
pub(super) struct HelperRunner {
    /// `PATH` for the helper; `None` inherits the process's.
    pub(super) path: Option<OsString>,
    /// How long the helper may run before it is killed.
    pub(super) timeout: Duration,
}

/// What a credential helper prints on success.
#[derive(Deserialize)]
struct HelperOutput {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// How a helper run ended: its exit status (`None` when it cannot be known:
/// the host ignores `SIGCHLD` or reaps children itself, so the kernel or
/// the host took the status) and what it printed on stdout (at most
/// [`MAX_HELPER_OUTPUT`] bytes; wiped when dropped).
struct HelperRun {
    status: Option<ExitStatus>,
    stdout: Zeroizing<Vec<u8>>,
}

impl HelperRunner {
    /// Asks helper `name` (configured in `file`) for the credential of `key`.
    pub(super) async fn get(
        &self,
        name: &str,
        key: &str,
        file: &Path,
    ) -> Result<Option<Credential>> {
        let program = helper_program(name, file)?;
        let run = self.run(&program, "get", helper_server_url(key)).await?;
        helper_answer(&program, key, &run)
    }

    /// Has helper `name` (configured in `file`) store a user name and
    /// secret for `key` (`store`, the credential as JSON on stdin).
    pub(super) async fn store(
        &self,
        name: &str,
        key: &str,
        username: &str,
        secret: &str,
        file: &Path,
    ) -> Result<()> {
        let program = helper_program(name, file)?;
        let input = Zeroizing::new(
            serde_json::json!({
                "ServerURL": helper_server_url(key),
                "Username": username,
                "Secret": secret,
            })
            .to_string(),
        );
        let run = self.run(&program, "store", &input).await?;
        match run.status {
            Some(status) if !status.success() => {
                Err(action_failure(&program, "store", key, status))
            }
            _ => Ok(()),
        }
    }

    /// Has helper `name` (configured in `file`) erase the credential of
    /// `key`; `false` when it held none ("credentials not found").
    pub(super) async fn erase(&self, name: &str, key: &str, file: &Path) -> Result<bool> {
        let program = helper_program(name, file)?;
        let run = self.run(&program, "erase", helper_server_url(key)).await?;
        match run.status {
            Some(status) if !status.success() => {
                if says_not_found(&run) {
                    Ok(false)
                } else {
                    Err(action_failure(&program, "erase", key, status))
                }
            }
            _ => Ok(true),
        }
    }

    /// The server URLs helper `name` (configured in `file`) holds
    /// credentials for (`list`, which prints `{"URL": "user", ...}`).
    pub(super) async fn list(&self, name: &str, file: &Path) -> Result<Vec<String>> {
        let program = helper_program(name, file)?;
        let run = self.run(&program, "list", "").await?;
        if let Some(status) = run.status.filter(|s| !s.success()) {
            return Err(action_failure(&program, "list", "its servers", status));
        }
        serde_json::from_slice::<std::collections::BTreeMap<String, serde_json::Value>>(&run.stdout)
            .map(|servers| servers.into_keys().collect())
            .map_err(|_| {
                Error::new(
                    ErrorKind::Io,
                    format!("credential helper {program} printed malformed output for list"),
                )
            })
    }

    /// Runs `program ACTION` with `input` on stdin and reads its stdout;
    /// kills it when it runs past the timeout or prints too much.
    ///
    /// No signal disposition is touched: the helper runs through
    /// `std::process` on a thread of its own, which waits on the helper's
    /// own pid (`waitpid(pid)`), so no `SIGCHLD` handler is installed (as
    /// `tokio::process` does where it cannot use a pidfd) and a host that
    /// ignores `SIGCHLD` or reaps its children keeps doing so. Writing to a
    /// helper that exits without reading its input never raises `SIGPIPE`
    /// in the host process. The helper's stderr is discarded: it may hold
    /// the secret.
    async fn run(&self, program: &str, action: &str, input: &str) -> Result<HelperRun> {
        let mut command = std::process::Command::new(program);
        command
            .arg(action)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(path) = &self.path {
            command.env("PATH", path);
        }
        let mut child = command.spawn().map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot run credential helper {program}: {e}"),
            )
        })?;
        let pipes = (child.stdin.take(), child.stdout.take());
        let process = Arc::new(Mutex::new(HelperProcess { child, ended: None }));
        // Kills the helper if this future is dropped before it ended.
        let _kill_on_drop = KillOnDrop(Arc::clone(&process));
        let (sender, answer) = tokio::sync::oneshot::channel();
        let talker = {
            let process = Arc::clone(&process);
            let (input, program) = (Zeroizing::new(input.to_owned()), program.to_owned());
            // A thread of its own, not the runtime's blocking pool: should a
            // grandchild keep the helper's stdout open, this thread stays
            // blocked in its read, and it must not hold up the runtime's
            // shutdown.
            std::thread::Builder::new()
                .name("ocireg-credential-helper".into())
                .spawn(move || {
                    let _ = sender.send(talk_to_helper(&process, pipes, &input, &program));
                })
        };
        if let Err(e) = talker {
            kill_and_reap(process).await;
            return Err(Error::new(
                ErrorKind::Io,
                format!("cannot run credential helper {program}: {e}"),
            ));
        }
        match tokio::time::timeout(self.timeout, answer).await {
            Ok(Ok(run)) => run,
            Ok(Err(_)) => Err(Error::new(
                ErrorKind::Io,
                format!("credential helper {program} failed: its thread ended without an answer"),
            )),
            Err(_) => {
                kill_and_reap(process).await;
                Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "credential helper {program} did not answer within {} s",
                        self.timeout.as_secs_f32()
                    ),
                ))
            }
        }
    }
}

/// A running helper, shared by the thread that talks to it and the caller
/// that kills it at the timeout. Reaping and killing happen under its lock,
/// so a helper is never signalled after it was reaped (its pid may be
/// another process's by then).
struct HelperProcess {
    child: Child,
    /// `Some` once the helper has ended; the inner `None` when its status
    /// cannot be known (`ECHILD`: the kernel or the host reaped it).
    ended: Option<Option<ExitStatus>>,
}

impl HelperProcess {
    /// Whether the helper has ended (without blocking), and how.
    fn poll(&mut self) -> Option<Option<ExitStatus>> {
        if self.ended.is_none() {
            self.ended = match self.child.try_wait() {
                Ok(None) => None,
                Ok(Some(status)) => Some(Some(status)),
                // ECHILD: gone, reaped by someone else.
                Err(_) => Some(None),
            };
        }
        self.ended
    }

    /// Sends `SIGKILL` unless the helper has ended already.
    fn kill(&mut self) {
        if self.poll().is_none() {
            // Ignored: the helper may have exited just now.
            let _ = self.child.kill();
        }
    }

    /// Kills the helper and waits until it is gone (no zombie is left).
    fn kill_and_reap(&mut self) {
        self.kill();
        if self.ended.is_none() {
            self.ended = Some(self.child.wait().ok());
        }
    }
}

/// Locks `process`; a panic elsewhere does not make it unusable.
fn lock(process: &Mutex<HelperProcess>) -> MutexGuard<'_, HelperProcess> {
    process.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Kills and reaps the helper on a blocking thread (the wait after
/// `SIGKILL` is short, but it is a blocking call).
async fn kill_and_reap(process: Arc<Mutex<HelperProcess>>) {
    let reaped = tokio::task::spawn_blocking(move || lock(&process).kill_and_reap()).await;
    // Ignored: only a panic in kill_and_reap, which does not panic.
    let _ = reaped;
}

/// Kills the helper, if it still runs, when the run is abandoned (its
/// future dropped); the talking thread then reaps it.
struct KillOnDrop(Arc<Mutex<HelperProcess>>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        lock(&self.0).kill();
    }
}

/// Writes `input` to the helper's stdin (then closes it) on a second
/// thread while reading its stdout, then waits for it to exit; refused
/// output kills it. Runs on a thread of its own.
fn talk_to_helper(
    process: &Mutex<HelperProcess>,
    (stdin, stdout): (Option<ChildStdin>, Option<ChildStdout>),
    input: &str,
    program: &str,
) -> Result<HelperRun> {
    let output = std::thread::scope(|scope| {
        let writer = std::thread::Builder::new()
            .name("ocireg-credential-helper-input".into())
            .spawn_scoped(scope, move || write_input(stdin, input));
        let output = match writer {
            Ok(_) => read_helper_output(stdout, program),
            Err(e) => Err(Error::new(
                ErrorKind::Io,
                format!("cannot run credential helper {program}: {e}"),
            )),
        };
        if output.is_err() {
            // Also ends a writer blocked on a helper that does not read.
            lock(process).kill();
        }
        output
    });
    let status = wait_for_exit(process);
    Ok(HelperRun {
        status,
        stdout: output?,
    })
}

/// Writes `input` to the helper's stdin and closes it. A helper may exit
/// without reading: the write then fails with `EPIPE` (never `SIGPIPE`),
/// and the helper's exit status tells.
fn write_input(stdin: Option<ChildStdin>, input: &str) {
    if let Some(mut stdin) = stdin {
        let _ = with_sigpipe_blocked(|| stdin.write_all(input.as_bytes()));
    }
}

/// Waits until the helper has ended, checking at growing intervals (up to
/// [`MAX_EXIT_POLL`]) rather than blocking in `waitpid`, so that the lock
/// stays free for a kill at the timeout.
fn wait_for_exit(process: &Mutex<HelperProcess>) -> Option<ExitStatus> {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(ended) = lock(process).poll() {
            return ended;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(MAX_EXIT_POLL);
    }
}

/// Reads a helper's stdout to its end, refusing more than
/// [`MAX_HELPER_OUTPUT`] bytes.
fn read_helper_output(stdout: Option<ChildStdout>, program: &str) -> Result<Zeroizing<Vec<u8>>> {
    let mut output = Zeroizing::new(Vec::with_capacity(8 * 1024));
    let Some(stdout) = stdout else {
        return Ok(output);
    };
    stdout
        .take(MAX_HELPER_OUTPUT as u64 + 1)
        .read_to_end(&mut output)
        .map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read the output of credential helper {program}: {e}"),
            )
        })?;
    if output.len() > MAX_HELPER_OUTPUT {
        return Err(Error::new(
            ErrorKind::SizeExceeded,
            format!(
                "credential helper {program} printed more than {} KiB",
                MAX_HELPER_OUTPUT / 1024
            ),
        ));
    }
    Ok(output)
}

/// The credential a finished helper run gives.
///
/// With a known exit status: success means its output must be a credential
/// JSON; failure is "not found" or an error (see [`not_found_or_failure`]).
/// With an unknown status (the host ignores `SIGCHLD` or reaps children
/// itself): a complete credential JSON means success, and anything else
/// means "not found", as docker's helpers exit 1 printing "credentials not
/// found in native keychain" on stdout.
fn helper_answer(program: &str, key: &str, run: &HelperRun) -> Result<Option<Credential>> {
    let status = match run.status {
        Some(status) if !status.success() => {
            return not_found_or_failure(program, key, status, run);
        }
        Some(status) => Some(status),
        None => None,
    };
    // serde_json's messages may quote the input, so none is kept.
    match serde_json::from_slice::<HelperOutput>(&run.stdout) {
        Ok(parsed) => Ok(helper_credential(parsed)),
        Err(_) if status.is_none() => Ok(None),
        Err(_) => {
            let what = if run.stdout.iter().all(u8::is_ascii_whitespace) {
                "printed nothing"
            } else {
                "printed malformed output"
            };
            Err(Error::new(
                ErrorKind::Io,
                format!("credential helper {program} {what} for {key}"),
            ))
        }
    }
}

/// The program of helper `name`, configured in `file`.
fn helper_program(name: &str, file: &Path) -> Result<String> {
    if !is_valid_helper_name(name) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "auth file {} names an invalid credential helper",
                file.display()
            ),
        ));
    }
    Ok(format!("docker-credential-{name}"))
}

/// Whether a helper's output says it holds no such credential.
fn says_not_found(run: &HelperRun) -> bool {
    let stdout = Zeroizing::new(String::from_utf8_lossy(&run.stdout).to_ascii_lowercase());
    stdout.contains("credentials not found")
}

/// A failed `store`, `erase` or `list`, naming the helper, never quoting
/// its output (it may echo the secret).
fn action_failure(program: &str, action: &str, key: &str, status: ExitStatus) -> Error {
    Error::new(
        ErrorKind::Io,
        format!(
            "credential helper {program} failed to {action} for {key} ({status}); \
             its output is not shown, as it may hold a secret"
        ),
    )
}

/// Helper names become part of a program name: no paths, no surprises.
fn is_valid_helper_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A failed helper run: "credentials not found" means no credential,
/// anything else is an error naming the helper and its exit status. What
/// the helper printed is never quoted: it may be the secret.
fn not_found_or_failure(
    program: &str,
    key: &str,
    status: ExitStatus,
    run: &HelperRun,
) -> Result<Option<Credential>> {
    if says_not_found(run) {
        return Ok(None);
    }
    Err(Error::new(
        ErrorKind::Io,
        format!(
            "credential helper {program} failed for {key} ({}); its output is not shown, as it may hold a secret",
            status
        ),
    ))
}

/// The credential a helper's answer describes, `None` when it is empty.
fn helper_credential(output: HelperOutput) -> Option<Credential> {
    if output.secret.is_empty() {
        return None;
    }
    if output.username == HELPER_TOKEN_USERNAME {
        return Some(Credential::IdentityToken {
            token: output.secret,
        });
    }
    Some(Credential::Basic {
        username: output.username,
        password: output.secret,
    })
}

#[cfg(all(test, unix))]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::{HelperRun, helper_answer};
    use crate::error::ErrorKind;
    use crate::transport::auth::credentials::test_support::*;

    #[tokio::test]
    async fn helper_failures_are_errors() {
        let _guard = SCRIPTS.lock().await;
        let dir = TempDir::new();
        let store = store_with_helper(&dir, "test", HELPER, ANSWERS_WITHIN);
        let err = store.lookup("broken.example").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(err.message().contains("docker-credential-test"), "{err}");
        assert!(err.message().contains("exit status: 3"), "{err}");
        assert!(!err.message().contains("keychain locked"), "{err}");
        let err = store.lookup("garbage.example").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(err.message().contains("malformed output"), "{err}");
        assert!(!err.message().contains("SECRETISH"), "{err}");
        let err = store.lookup("silent.example").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(err.message().contains("printed nothing"), "{err}");
        // Failures are not cached: the helper runs again.
        store.lookup("broken.example").await.unwrap_err();
        assert_eq!(
            calls(&dir)
                .iter()
                .filter(|c| *c == "broken.example")
                .count(),
            2
        );
    }

    #[tokio::test]
    async fn a_failing_helper_output_never_reaches_the_error() {
        let _guard = SCRIPTS.lock().await;
        let dir = TempDir::new();
        let store = store_with_helper(&dir, "test", HELPER, ANSWERS_WITHIN);
        let err = store.lookup("secret.example").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(err.message().contains("docker-credential-test"), "{err}");
        assert!(err.message().contains("exit status: 1"), "{err}");
        for text in [err.to_string(), format!("{err:?}"), err.detail()] {
            assert!(!text.contains("SECRET"), "helper output leaked: {text}");
        }
    }

    #[tokio::test]
    async fn huge_helper_output_is_refused_and_the_helper_killed() {
        let _guard = SCRIPTS.lock().await;
        let dir = TempDir::new();
        let store = store_with_helper(&dir, "test", HELPER, ANSWERS_WITHIN);
        let err = store.lookup("huge.example").await.unwrap_err();
        // Not the timeout: refused as soon as 1 MiB was read.
        assert_eq!(err.kind(), ErrorKind::SizeExceeded, "{err}");
        assert!(err.message().contains("docker-credential-test"), "{err}");
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }

    #[tokio::test]
    async fn a_hanging_helper_is_killed_at_the_timeout() {
        let _guard = SCRIPTS.lock().await;
        let dir = TempDir::new();
        let at = &dir;
        assert_killed_at_timeout(at, |timeout| async move {
            let store = store_with_helper(at, "test", HELPER, timeout);
            store.lookup("hang.example").await
        })
        .await;
    }

    /// A helper that exits without reading its stdin, given input that
    /// cannot fit in the pipe, so that writing it must hit a closed pipe.
    const DEAF_HELPER: &str = "#!/bin/sh\nexit 1\n";

    /// The environment variable that makes
    /// `deaf_helper_in_a_host_with_default_sigpipe` do its work (it
    /// runs only as the child of the test below).
    const SIGPIPE_CHILD: &str = "OCIREG_TEST_SIGPIPE_CHILD";

    #[tokio::test]
    async fn a_helper_that_does_not_read_stdin_does_not_kill_the_host() {
        let _guard = SCRIPTS.lock().await;
        run_in_child(
            "transport::auth::credentials::helper::tests::deaf_helper_in_a_host_with_default_sigpipe",
            SIGPIPE_CHILD,
        );
    }

    /// Runs the ignored test `test` of this binary in a child process with
    /// `env` set to 1, and asserts that it ran and passed.
    fn run_in_child(test: &str, env: &str) {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                test,
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(env, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "the host died: {:?}\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        // The child really ran the test (and did not filter it out).
        assert!(stdout.contains("1 passed"), "{stdout}");
    }

    /// Run by the test above in a child process whose SIGPIPE has its
    /// default disposition, as in a C or Go host.
    #[tokio::test]
    #[ignore = "run in a child process by a_helper_that_does_not_read_stdin_does_not_kill_the_host"]
    async fn deaf_helper_in_a_host_with_default_sigpipe() {
        assert_eq!(
            std::env::var(SIGPIPE_CHILD).as_deref(),
            Ok("1"),
            "run by a_helper_that_does_not_read_stdin_does_not_kill_the_host"
        );
        crate::ffi::signals::default_sigpipe_for_tests();
        let dir = TempDir::new();
        let store = store_with_helper(&dir, "deaf", DEAF_HELPER, ANSWERS_WITHIN);
        // Four times a default pipe's capacity.
        let registry = format!("{}.example", "a".repeat(256 * 1024));
        for _ in 0..3 {
            let err = store.lookup(&registry).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Io, "{err}");
            assert!(err.message().contains("docker-credential-deaf"), "{err}");
        }
    }

    #[tokio::test]
    async fn missing_or_invalid_helper_is_an_error() {
        let _guard = SCRIPTS.lock().await;
        let dir = TempDir::new();
        std::fs::create_dir_all(dir.0.join("bin")).unwrap();
        let store = helper_store(
            &dir,
            serde_json::json!({ "credsStore": "absent" }),
            ANSWERS_WITHIN,
        );
        let err = store.lookup("r.example").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(err.message().contains("docker-credential-absent"), "{err}");

        let store = helper_store(
            &dir,
            serde_json::json!({ "credsStore": "../../bin/sh" }),
            ANSWERS_WITHIN,
        );
        let err = store.lookup("r.example").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    /// The environment variable that makes
    /// `helpers_in_hosts_that_own_sigchld` do its work (it runs only as
    /// the child of the test below).
    const SIGCHLD_CHILD: &str = "OCIREG_TEST_SIGCHLD_CHILD";

    #[tokio::test]
    async fn helpers_run_when_the_host_ignores_or_reaps_sigchld() {
        let _guard = SCRIPTS.lock().await;
        run_in_child(
            "transport::auth::credentials::helper::tests::helpers_in_hosts_that_own_sigchld",
            SIGCHLD_CHILD,
        );
    }

    /// Run by the test above in a child process, which it may give any
    /// `SIGCHLD` disposition: helpers answer (success, "not found" and the
    /// timeout) and the disposition is left as the host set it.
    #[tokio::test]
    #[ignore = "run in a child process by helpers_run_when_the_host_ignores_or_reaps_sigchld"]
    async fn helpers_in_hosts_that_own_sigchld() {
        use crate::ffi::signals::{
            reap_children_for_tests, set_sigchld_for_tests, sigchld_disposition_for_tests,
        };
        assert_eq!(
            std::env::var(SIGCHLD_CHILD).as_deref(),
            Ok("1"),
            "run by helpers_run_when_the_host_ignores_or_reaps_sigchld"
        );
        let reaper = reap_children_for_tests as extern "C" fn(libc::c_int) as libc::sighandler_t;
        for disposition in [libc::SIG_IGN, reaper] {
            set_sigchld_for_tests(disposition);
            let dir = TempDir::new();
            let store = store_with_helper(&dir, "test", HELPER, ANSWERS_WITHIN);
            for _ in 0..3 {
                assert_eq!(
                    store.lookup("docker.io").await.unwrap(),
                    Some(basic("hubuser", "hubpass"))
                );
                assert_eq!(store.lookup("none.example").await.unwrap(), None);
            }
            let at = &dir;
            assert_killed_at_timeout(at, |timeout| async move {
                let store = store_with_helper(at, "test", HELPER, timeout);
                store.lookup("hang.example").await
            })
            .await;
            assert_eq!(sigchld_disposition_for_tests(), disposition);
        }
        set_sigchld_for_tests(libc::SIG_DFL);
    }

    /// An unknown exit status (`ECHILD`): a complete credential JSON is a
    /// credential, anything else "not found"; never an error.
    #[test]
    fn with_an_unknown_status_the_output_decides() {
        let answer = |stdout: &str| {
            let run = HelperRun {
                status: None,
                stdout: zeroize::Zeroizing::new(stdout.as_bytes().to_vec()),
            };
            helper_answer("docker-credential-test", "r.example", &run)
        };
        assert_eq!(
            answer(r#"{"Username":"u","Secret":"s"}"#).unwrap(),
            Some(basic("u", "s"))
        );
        assert_eq!(
            answer("credentials not found in native keychain\n").unwrap(),
            None
        );
        assert_eq!(answer(r#"{"Username":"u","Sec"#).unwrap(), None);
        assert_eq!(answer("").unwrap(), None);
    }

    #[tokio::test]
    async fn an_abandoned_lookup_kills_the_helper() {
        let _guard = SCRIPTS.lock().await;
        let dir = TempDir::new();
        let store = store_with_helper(&dir, "test", HELPER, ANSWERS_WITHIN);
        // Abandoned once the helper runs (wrote its pid), however long it
        // took to start.
        let pid = tokio::select! {
            answer = store.lookup("hang.example") => panic!("the hanging helper answered: {answer:?}"),
            pid = async {
                loop {
                    if let Some(pid) = hang_pid(&dir) {
                        break pid;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            } => pid,
        };
        // Killed at once; reaped by the thread that ran it, soon after (the
        // bound only keeps a failure from hanging the suite).
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        for _ in 0..6000 {
            if !proc_dir.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_gone(pid);
    }
}
