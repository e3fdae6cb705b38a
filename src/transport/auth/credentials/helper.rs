//! Credential helpers: running `docker-credential-<name> get` with a
//! bounded output and a timeout, and reading its answer.

use std::ffi::OsString;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use zeroize::Zeroizing;

use crate::credential::Credential;
use crate::error::{Error, ErrorKind, Result};
use crate::ffi::signals::without_sigpipe;
use crate::registry::helper_server_url;
/// The most a credential helper may print on stdout.
const MAX_HELPER_OUTPUT: usize = 1 << 20;
/// The user name with which a credential helper marks an identity token.
const HELPER_TOKEN_USERNAME: &str = "<token>";

/// Runs docker credential helpers (`docker-credential-<name> get`).
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

/// How a helper run ended: its exit status and what it printed on stdout
/// (at most [`MAX_HELPER_OUTPUT`] bytes; wiped when dropped).
struct HelperRun {
    status: ExitStatus,
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
        if !is_valid_helper_name(name) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "auth file {} names an invalid credential helper",
                    file.display()
                ),
            ));
        }
        let program = format!("docker-credential-{name}");
        let run = self.run(&program, helper_server_url(key)).await?;
        if !run.status.success() {
            return not_found_or_failure(&program, key, &run);
        }
        // serde_json's messages may quote the input, so none is kept.
        let parsed: HelperOutput = serde_json::from_slice(&run.stdout).map_err(|_| {
            let what = if run.stdout.iter().all(u8::is_ascii_whitespace) {
                "printed nothing"
            } else {
                "printed malformed output"
            };
            Error::new(
                ErrorKind::Io,
                format!("credential helper {program} {what} for {key}"),
            )
        })?;
        Ok(helper_credential(parsed))
    }

    /// Runs `program get` with `input` on stdin and reads its stdout; kills
    /// it when it runs past the timeout or prints too much. Writing to a
    /// helper that exits without reading its input never raises `SIGPIPE`
    /// in the host process. The helper's stderr is discarded: it may hold
    /// the secret.
    async fn run(&self, program: &str, input: &str) -> Result<HelperRun> {
        let mut command = tokio::process::Command::new(program);
        command
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(path) = &self.path {
            command.env("PATH", path);
        }
        let mut child = command.spawn().map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot run credential helper {program}: {e}"),
            )
        })?;
        let outcome =
            tokio::time::timeout(self.timeout, talk_to_helper(&mut child, program, input)).await;
        if !matches!(outcome, Ok(Ok(_))) {
            // Ignored: the helper may have exited already.
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        outcome.unwrap_or_else(|_| {
            Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "credential helper {program} did not answer within {} s",
                    self.timeout.as_secs_f32()
                ),
            ))
        })
    }
}

/// Writes `input` to the helper's stdin (then closes it) while reading its
/// stdout, then waits for it to exit. Refused output ends the writing too.
async fn talk_to_helper(
    child: &mut tokio::process::Child,
    program: &str,
    input: &str,
) -> Result<HelperRun> {
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let write = async move {
        if let Some(mut stdin) = stdin {
            // A helper may exit without reading; its exit status tells.
            let _ = without_sigpipe(stdin.write_all(input.as_bytes())).await;
        }
        Ok(())
    };
    let ((), stdout) = tokio::try_join!(write, read_helper_output(stdout, program))?;
    let status = child.wait().await.map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("credential helper {program} failed: {e}"),
        )
    })?;
    Ok(HelperRun { status, stdout })
}

/// Reads a helper's stdout to its end, refusing more than
/// [`MAX_HELPER_OUTPUT`] bytes.
async fn read_helper_output(
    stdout: Option<tokio::process::ChildStdout>,
    program: &str,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut output = Zeroizing::new(Vec::with_capacity(8 * 1024));
    let Some(stdout) = stdout else {
        return Ok(output);
    };
    stdout
        .take(MAX_HELPER_OUTPUT as u64 + 1)
        .read_to_end(&mut output)
        .await
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
fn not_found_or_failure(program: &str, key: &str, run: &HelperRun) -> Result<Option<Credential>> {
    let stdout = Zeroizing::new(String::from_utf8_lossy(&run.stdout).to_ascii_lowercase());
    if stdout.contains("credentials not found") {
        return Ok(None);
    }
    Err(Error::new(
        ErrorKind::Io,
        format!(
            "credential helper {program} failed for {key} ({}); its output is not shown, as it may hold a secret",
            run.status
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

    use crate::error::ErrorKind;
    use crate::transport::auth::credentials::test_support::*;

    #[tokio::test]
    async fn helper_failures_are_errors() {
        let _guard = SCRIPTS.lock().await;
        let dir = TempDir::new();
        let store = store_with_helper(&dir, "test", HELPER, Duration::from_secs(10));
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
        let store = store_with_helper(&dir, "test", HELPER, Duration::from_secs(10));
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
        let store = store_with_helper(&dir, "test", HELPER, Duration::from_secs(20));
        let started = std::time::Instant::now();
        let err = store.lookup("huge.example").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::SizeExceeded, "{err}");
        assert!(err.message().contains("docker-credential-test"), "{err}");
        assert!(!err.to_string().contains("SECRET"), "{err}");
        // Not the timeout: refused as soon as 1 MiB was read.
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_hanging_helper_is_killed_at_the_timeout() {
        let _guard = SCRIPTS.lock().await;
        let dir = TempDir::new();
        let store = store_with_helper(&dir, "test", HELPER, Duration::from_millis(500));
        let started = std::time::Instant::now();
        let err = store.lookup("hang.example").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert!(started.elapsed() < Duration::from_secs(5));
        let pid = std::fs::read_to_string(dir.0.join("bin/hang.pid")).unwrap();
        // Killed and reaped: the process is gone, not even a zombie.
        let proc_dir = PathBuf::from(format!("/proc/{}", pid.trim()));
        assert!(!proc_dir.exists(), "helper {} still exists", pid.trim());
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
        let test = "transport::auth::credentials::helper::tests::deaf_helper_in_a_host_with_default_sigpipe";
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                test,
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(SIGPIPE_CHILD, "1")
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
        let store = store_with_helper(&dir, "deaf", DEAF_HELPER, Duration::from_secs(20));
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
            Duration::from_secs(10),
        );
        let err = store.lookup("r.example").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(err.message().contains("docker-credential-absent"), "{err}");

        let store = helper_store(
            &dir,
            serde_json::json!({ "credsStore": "../../bin/sh" }),
            Duration::from_secs(10),
        );
        let err = store.lookup("r.example").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }
}
