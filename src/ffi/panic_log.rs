//! Panic messages of ocireg go to the log sink, not to the host's stderr.
//!
//! Rust's default panic hook prints every panic to stderr, even one the
//! boundary (`guard`) catches and turns into `OCIREG_ERR_PANIC`. The hook
//! installed here sends the message of a panic inside an ocireg call (or on
//! one of ocireg's own threads) to the log sink at error level, where the
//! host decides what to do with it, and passes every other panic to the
//! hook that was there before, so that a Rust host's own panics behave as
//! they did.

use std::cell::Cell;
use std::panic::PanicHookInfo;
use std::sync::Once;

use crate::log::{self, LogLevel};

thread_local! {
    /// How many ocireg calls this thread is inside (a callback may call in
    /// again).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

static INSTALL: Once = Once::new();

/// Marks this thread as inside an ocireg call until the guard is dropped,
/// installing the hook on first use.
pub struct InCall(());

impl InCall {
    /// Enters a call.
    pub fn enter() -> InCall {
        INSTALL.call_once(install);
        DEPTH.with(|d| d.set(d.get().saturating_add(1)));
        InCall(())
    }
}

impl Drop for InCall {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

fn inside_ocireg() -> bool {
    DEPTH.try_with(|d| d.get() > 0).unwrap_or(false) || log::is_library_thread()
}

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

fn install() {
    std::panic::set_hook(routing(std::panic::take_hook()));
}

/// The hook: ocireg's panics to the log sink, the rest to `previous`.
fn routing(previous: Hook) -> Hook {
    Box::new(move |info| {
        if inside_ocireg() {
            log::log(LogLevel::Error, || describe(info));
        } else {
            previous(info);
        }
    })
}

/// `ocireg panicked at FILE:LINE:COL: MESSAGE`.
fn describe(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    match info.location() {
        Some(at) => format!("ocireg panicked at {at}: {message}"),
        None => format!("ocireg panicked: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use std::panic::catch_unwind;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::ffi::guard::guard;
    use crate::ffi::status::ocireg_status;
    use crate::log::set_log_sink;

    // The only test of the library's unit tests that sets the panic hook
    // or the log sink (both are process-wide).
    #[test]
    fn panics_in_calls_go_to_the_sink_and_the_others_to_the_previous_hook() {
        drop(InCall::enter()); // installed now, not in the middle of the test
        let original = std::panic::take_hook();
        let others = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&others);
        std::panic::set_hook(routing(Box::new(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        })));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink_lines = Arc::clone(&lines);
        set_log_sink(
            LogLevel::Error,
            Some(Arc::new(move |level, message: &str| {
                sink_lines
                    .lock()
                    .unwrap()
                    .push((level, message.to_string()));
            })),
        );

        let status = guard(|| panic!("boom {}", 42));
        let outside = catch_unwind(|| panic!("the host's own"));

        set_log_sink(LogLevel::Error, None);
        std::panic::set_hook(original);
        assert_eq!(status, ocireg_status::OCIREG_ERR_PANIC);
        assert!(outside.is_err());
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0].0, LogLevel::Error);
        assert!(
            lines[0]
                .1
                .starts_with("ocireg panicked at src/ffi/panic_log.rs:")
                && lines[0].1.ends_with(": boom 42"),
            "{}",
            lines[0].1
        );
        assert_eq!(others.load(Ordering::SeqCst), 1);
    }
}
