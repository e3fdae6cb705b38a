//! The registry launcher for everything that is not a Rust test: the C, CLI,
//! load, Go and Python test suites, `make demo` and the benchmarks. It runs
//! the launcher of the Rust tests (tests/support/registry.rs), so every
//! registry of the project is started, configured and stopped in one place.
//!
//! `cargo run --quiet --example test_registry -- [--only-plain] COMMAND [ARGS...]`
//! starts one registry of each kind the Rust tests use (plain HTTP; HTTPS
//! with basic auth; HTTPS with token auth from our token server; plain
//! distribution v3; plain go-containerregistry with referrers) plus a
//! server that never answers, runs COMMAND with their addresses in the
//! environment, stops them and exits with the command's status.
//! `--only-plain` starts the plain-HTTP registry alone.
//!
//! Environment given to the command:
//! - `OCIREG_TEST_PLAIN`: `127.0.0.1:PORT` of the plain-HTTP registry;
//!   `OCIREG_TEST_PLAIN_STORAGE`: its storage directory.
//! - `OCIREG_TEST_TLS`: the HTTPS registry with basic auth.
//! - `OCIREG_TEST_TOKEN`: the HTTPS registry with token auth.
//! - `OCIREG_TEST_CA`: the PEM of the CA both HTTPS registries use.
//! - `OCIREG_TEST_USER`, `OCIREG_TEST_PASS`: the credentials both accept.
//! - `OCIREG_TEST_STALL`: `127.0.0.1:PORT` of a listener that never answers.
//! - `OCIREG_TEST_DIST3`: plain HTTP distribution v3.1.2 (accepts DELETE of
//!   a manifest by tag, which 2.8.2 refuses).
//! - `OCIREG_TEST_REFERRERS`: plain HTTP go-containerregistry registry with
//!   the OCI 1.1 referrers API (2.8.2 has none: clients use the fallback tag).
//! - `OCIREG_TEST_MTLS`: the HTTPS registry (CA `OCIREG_TEST_CA`, no auth)
//!   that requires a client certificate signed by the CA;
//!   `OCIREG_TEST_CLIENT_CERT`, `OCIREG_TEST_CLIENT_KEY`: the PEM files of
//!   that client pair.
//!
//! `test_registry --serve [--bench]` starts one plain-HTTP registry (with
//! `--bench`, tuned for measuring: see `Tuning::Bench`), prints
//! `127.0.0.1:PORT STORAGE_DIR LOG_FILE` on one line of stdout (the log holds
//! the access log, one line per request, without `--bench`), and stops it (deleting
//! its files) when its stdin reaches end of file, which also happens when
//! the program that started it dies. Files go under `$TMPDIR`.

#[path = "../support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::process::{Command, ExitStatus};

use support::{Implementation, Mode, Registry, Tuning};

const USAGE: &str = "usage: test_registry [--only-plain] COMMAND [ARGS...]\n       \
                     test_registry --serve [--bench]";

fn main() {
    let owned: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = owned.iter().map(String::as_str).collect();
    let code = match args.as_slice() {
        ["--serve"] => serve(Tuning::Test),
        ["--serve", "--bench"] => serve(Tuning::Bench),
        ["--only-plain", program, rest @ ..] => run_with(&Registries::plain(), program, rest),
        [program, rest @ ..] if !program.starts_with('-') => {
            run_with(&Registries::all(), program, rest)
        }
        _ => {
            eprintln!("{USAGE}");
            2
        }
    };
    std::process::exit(code);
}

/// One plain registry for as long as stdin stays open.
fn serve(tuning: Tuning) -> i32 {
    let registry = Registry::start_tuned(Mode::Plain, tuning);
    let line = format!(
        "{} {} {}\n",
        registry.host(),
        registry.storage_dir().display(),
        registry.log_path().display()
    );
    let mut out = std::io::stdout().lock();
    if out
        .write_all(line.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        return 1;
    }
    // Whatever arrives is ignored; end of file (or an error) ends the registry.
    let _ = std::io::stdin().lock().read_to_end(&mut Vec::new());
    0
}

/// The registries of one run; dropped (stopped) after the command.
struct Registries {
    plain: Registry,
    /// The HTTPS registries with basic and with token auth.
    secure: Option<(Registry, Registry)>,
    /// Distribution v3 and go-containerregistry with referrers (plain HTTP).
    others: Option<(Registry, Registry)>,
    stall: Option<std::net::TcpListener>,
    /// The mutual-TLS registry.
    mtls: Option<Registry>,
}

impl Registries {
    fn plain() -> Registries {
        Registries {
            plain: Registry::start(Mode::Plain),
            secure: None,
            others: None,
            stall: None,
            mtls: None,
        }
    }

    fn all() -> Registries {
        let plain = Registry::start(Mode::Plain);
        let secure = Some((
            Registry::start(Mode::BasicTls),
            Registry::start(Mode::Token),
        ));
        let others = Some((
            Registry::start_implementation(Implementation::Distribution3, Mode::Plain),
            Registry::start_implementation(Implementation::GgcrReferrers, Mode::Plain),
        ));
        let stall = match std::net::TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => {
                eprintln!("test_registry: binding the stall listener: {e}");
                std::process::exit(2);
            }
        };
        Registries {
            plain,
            secure,
            others,
            stall: Some(stall),
            mtls: Some(Registry::start(Mode::MutualTls)),
        }
    }

    /// The `OCIREG_TEST_*` variables of the registries that run.
    fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("OCIREG_TEST_PLAIN", self.plain.host().to_string()),
            (
                "OCIREG_TEST_PLAIN_STORAGE",
                self.plain.storage_dir().display().to_string(),
            ),
        ];
        if let Some((tls, token)) = &self.secure {
            let (user, pass) = tls.credentials().unwrap_or(("", ""));
            let ca = tls.ca_pem_path().map(|p| p.display().to_string());
            env.extend([
                ("OCIREG_TEST_TLS", tls.host().to_string()),
                ("OCIREG_TEST_TOKEN", token.host().to_string()),
                ("OCIREG_TEST_CA", ca.unwrap_or_default()),
                ("OCIREG_TEST_USER", user.to_string()),
                ("OCIREG_TEST_PASS", pass.to_string()),
            ]);
        }
        if let Some((dist3, referrers)) = &self.others {
            env.extend([
                ("OCIREG_TEST_DIST3", dist3.host().to_string()),
                ("OCIREG_TEST_REFERRERS", referrers.host().to_string()),
            ]);
        }
        if let Some(mtls) = &self.mtls {
            let pki = support::certs::pki();
            env.extend([
                ("OCIREG_TEST_MTLS", mtls.host().to_string()),
                (
                    "OCIREG_TEST_CLIENT_CERT",
                    pki.client_cert.display().to_string(),
                ),
                (
                    "OCIREG_TEST_CLIENT_KEY",
                    pki.client_key.display().to_string(),
                ),
            ]);
        }
        if let Some(addr) = self.stall.as_ref().and_then(|l| l.local_addr().ok()) {
            env.push(("OCIREG_TEST_STALL", addr.to_string()));
        }
        env
    }
}

/// Runs `program` with the registries' environment; its exit code.
fn run_with(registries: &Registries, program: &str, args: &[&str]) -> i32 {
    let status: std::io::Result<ExitStatus> = Command::new(program)
        .args(args)
        .envs(registries.env())
        .status();
    match status {
        Ok(s) => s.code().unwrap_or(1),
        Err(e) => {
            eprintln!("test_registry: running {program}: {e}");
            2
        }
    }
}
