//! Test harness for the C, Python and Go tests: starts one registry of each
//! kind the Rust tests use (plain HTTP; HTTPS with basic auth; HTTPS with
//! token auth from our token server) plus a server that never answers, runs
//! a command with their addresses in the environment, stops them and exits
//! with the command's status.
//!
//! `cargo run --example test_registry -- COMMAND [ARGS...]`
//!
//! Environment given to the command:
//! - `OCIREG_TEST_PLAIN`: `127.0.0.1:PORT` of the plain-HTTP registry;
//!   `OCIREG_TEST_PLAIN_STORAGE`: its storage directory.
//! - `OCIREG_TEST_TLS`: the HTTPS registry with basic auth.
//! - `OCIREG_TEST_TOKEN`: the HTTPS registry with token auth.
//! - `OCIREG_TEST_CA`: the PEM of the CA both HTTPS registries use.
//! - `OCIREG_TEST_USER`, `OCIREG_TEST_PASS`: the credentials both accept.
//! - `OCIREG_TEST_STALL`: `127.0.0.1:PORT` of a listener that never answers.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Command;

use support::{Mode, Registry};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((program, rest)) = args.split_first() else {
        eprintln!("usage: test_registry COMMAND [ARGS...]");
        std::process::exit(2);
    };
    let plain = Registry::start(Mode::Plain);
    let tls = Registry::start(Mode::BasicTls);
    let token = Registry::start(Mode::Token);
    let stall = match std::net::TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) => {
            eprintln!("test_registry: binding the stall listener: {e}");
            std::process::exit(2);
        }
    };
    let stall_addr = stall
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let (user, pass) = tls.credentials().unwrap_or(("", ""));
    let ca = tls
        .ca_pem_path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let status = Command::new(program)
        .args(rest)
        .env("OCIREG_TEST_PLAIN", plain.host())
        .env("OCIREG_TEST_PLAIN_STORAGE", plain.storage_dir())
        .env("OCIREG_TEST_TLS", tls.host())
        .env("OCIREG_TEST_TOKEN", token.host())
        .env("OCIREG_TEST_CA", &ca)
        .env("OCIREG_TEST_USER", user)
        .env("OCIREG_TEST_PASS", pass)
        .env("OCIREG_TEST_STALL", &stall_addr)
        .status();
    drop((plain, tls, token, stall));
    match status {
        Ok(s) => std::process::exit(s.code().unwrap_or(1)),
        Err(e) => {
            eprintln!("test_registry: running {program}: {e}");
            std::process::exit(2);
        }
    }
}
