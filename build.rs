//! Generates the C header from `src/ffi` into `$OUT_DIR/ocireg.h`. The
//! checked-in `include/ocireg.h` must equal it (a unit test checks);
//! `make header` copies it over.

use std::path::PathBuf;

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_else(|_| "0".into());
    // The shared library names its ABI (SONAME) and stays loaded once loaded:
    // unloading a Rust cdylib with live threads and TLS destructors crashes.
    // While the major version is 0 each minor release may break the ABI, so
    // the SONAME carries it (libocireg.so.0.1); the Makefile's SOVERSION
    // follows the same rule.
    let soversion = if major == "0" {
        format!("0.{minor}")
    } else {
        major
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libocireg.so.{soversion}");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("ocireg.h");
    let mut config = match cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => panic!("cbindgen.toml: {e}"),
    };
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let parts: Vec<&str> = version.split('.').collect();
    if let Some(text) = config.after_includes.as_mut() {
        *text = text
            .replace("@MAJOR@", parts.first().copied().unwrap_or("0"))
            .replace("@MINOR@", parts.get(1).copied().unwrap_or("0"))
            .replace(
                "@PATCH@",
                parts
                    .get(2)
                    .map_or("0", |p| p.split('-').next().unwrap_or("0")),
            )
            .replace("@VERSION@", &version);
    }
    // mod.rs names every submodule; cbindgen follows them from there.
    let builder = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/ffi/mod.rs"));
    match builder.generate() {
        Ok(bindings) => {
            bindings.write_to_file(&out);
        }
        Err(e) => panic!("generating the C header: {e}"),
    }
}
