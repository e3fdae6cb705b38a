//! Keeping `SIGPIPE` away from the host process.
//!
//! Writing to a pipe or socket whose peer is gone raises `SIGPIPE`, and a C
//! or Go host leaves its disposition at the default, which kills the
//! process (Rust programs ignore it, so only non-Rust hosts see this).
//! `send` with `MSG_NOSIGNAL` does not raise it, but std's vectored socket
//! writes (`writev`, which hyper and rustls use through tokio and mio) and
//! pipe writes do. So nothing of ours writes with `SIGPIPE` deliverable:
//! - the runtime's own threads block it for good when they start
//!   ([`block_sigpipe_in_this_thread`]): a `SIGPIPE` raised there stays
//!   pending on that thread, never delivered;
//! - a C API call blocks it in the caller's thread for the length of the
//!   call (`guard`, through [`with_sigpipe_blocked`]: the blocking facade
//!   polls its future, connection set-up included, on that thread), and a
//!   `SIGPIPE` the call raised is taken off the thread's pending set before
//!   the mask is restored, as libpq does;
//! - a pipe write to a credential helper does the same around that write.
//!
//! The write itself then fails with `EPIPE`. Nothing process-wide is
//! changed: thread masks only, the caller's for the length of one call.

use std::mem::MaybeUninit;

/// Runs `write` with `SIGPIPE` blocked in this thread, so that a pipe write
/// made in it fails with `EPIPE` instead of raising `SIGPIPE`.
pub(crate) fn with_sigpipe_blocked<T>(write: impl FnOnce() -> T) -> T {
    let _blocked = SigpipeBlocked::new();
    write()
}

/// Blocks `SIGPIPE` in the calling thread for the rest of its life: for the
/// runtime's own threads (`on_thread_start`), which write to sockets and
/// run nothing of the host's.
pub(crate) fn block_sigpipe_in_this_thread() {
    let set = sigpipe_set();
    // SAFETY: `set` is an initialized sigset_t; a NULL old set is allowed.
    // Failure (impossible with a valid set) would leave the mask as it was.
    unsafe {
        libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, std::ptr::null_mut());
    }
}

/// `SIGPIPE` blocked in this thread until dropped.
struct SigpipeBlocked {
    /// The thread's signal mask before; `None` when blocking failed.
    old: Option<libc::sigset_t>,
    /// Whether a `SIGPIPE` was already pending (someone else's: kept).
    was_pending: bool,
}

/// The set holding `SIGPIPE` alone.
fn sigpipe_set() -> libc::sigset_t {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initializes the set it is given, and sigaddset
    // with a valid signal number only changes that initialized set.
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
        set.assume_init()
    }
}

/// Whether `SIGPIPE` is pending for this thread (or the process).
fn sigpipe_pending() -> bool {
    let mut pending = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigpending fills the set on success (returns 0); the set is
    // only read after that.
    unsafe {
        libc::sigpending(pending.as_mut_ptr()) == 0
            && libc::sigismember(pending.as_ptr(), libc::SIGPIPE) == 1
    }
}

impl SigpipeBlocked {
    fn new() -> SigpipeBlocked {
        let set = sigpipe_set();
        let mut old = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: both pointers are valid sigset_t; pthread_sigmask fills
        // `old` on success (returns 0) and it is only read after that.
        let old = unsafe {
            (libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, old.as_mut_ptr()) == 0)
                .then(|| old.assume_init())
        };
        // A SIGPIPE can only be pending already if it was blocked before.
        let was_pending = old.as_ref().is_some_and(|old| {
            // SAFETY: `old` is an initialized sigset_t.
            (unsafe { libc::sigismember(old, libc::SIGPIPE) } == 1) && sigpipe_pending()
        });
        SigpipeBlocked { old, was_pending }
    }
}

impl Drop for SigpipeBlocked {
    fn drop(&mut self) {
        let Some(old) = self.old else {
            return;
        };
        if !self.was_pending && sigpipe_pending() {
            let set = sigpipe_set();
            let zero = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: valid set and timeout pointers; a NULL siginfo is
            // allowed. With a zero timeout it never blocks: it takes the
            // pending SIGPIPE (blocked here, so it is not delivered).
            unsafe {
                libc::sigtimedwait(&raw const set, std::ptr::null_mut(), &raw const zero);
            }
        }
        // SAFETY: `old` is the initialized mask saved by `new`.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &raw const old, std::ptr::null_mut());
        }
    }
}

/// Test support: gives `SIGPIPE` its default disposition (terminate), as a
/// C or Go host has it, in this process.
#[cfg(test)]
pub(crate) fn default_sigpipe_for_tests() {
    // SAFETY: setting a standard signal's disposition to SIG_DFL installs
    // no handler; it only undoes Rust's start-up SIG_IGN.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Test support: sets the disposition of `SIGCHLD` in this process
/// (`SIG_IGN`, `SIG_DFL` or a handler's address), as a host may.
#[cfg(test)]
pub(crate) fn set_sigchld_for_tests(disposition: libc::sighandler_t) {
    // SAFETY: the disposition is SIG_IGN, SIG_DFL or the address of an
    // `extern "C" fn(c_int)` handler given by the test.
    unsafe {
        libc::signal(libc::SIGCHLD, disposition);
    }
}

/// Test support: the current disposition of `SIGCHLD` in this process.
#[cfg(test)]
pub(crate) fn sigchld_disposition_for_tests() -> libc::sighandler_t {
    let mut old = MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: with a NULL new action sigaction only fills `old`, which is
    // read after success.
    unsafe {
        assert_eq!(
            libc::sigaction(libc::SIGCHLD, std::ptr::null(), old.as_mut_ptr()),
            0
        );
        old.assume_init().sa_sigaction
    }
}

/// Test support: a `SIGCHLD` handler reaping every ended child, as a
/// daemon's may (the library then cannot learn its helpers' status).
#[cfg(test)]
pub(crate) extern "C" fn reap_children_for_tests(_signal: libc::c_int) {
    // SAFETY: waitpid is async-signal-safe; a NULL status is allowed.
    while unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) } > 0 {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mask_is_restored_and_a_raised_sigpipe_is_consumed() {
        let before = sigpipe_set_blocked();
        {
            let _blocked = SigpipeBlocked::new();
            assert!(sigpipe_set_blocked());
            // SAFETY: raise sends SIGPIPE to this thread, where it is blocked.
            unsafe {
                libc::raise(libc::SIGPIPE);
            }
            assert!(sigpipe_pending());
        }
        assert!(!sigpipe_pending());
        assert_eq!(sigpipe_set_blocked(), before);
    }

    /// A vectored write to a socket whose peer is gone (`writev`, no
    /// `MSG_NOSIGNAL`) raises `SIGPIPE`: inside a C API call it fails with
    /// `EPIPE` and leaves nothing pending, with `SIGPIPE` at its default
    /// disposition (as in a C or Go host), which would otherwise kill us.
    #[test]
    fn a_vectored_socket_write_inside_a_call_fails_instead_of_killing() {
        use std::io::{IoSlice, Write};
        default_sigpipe_for_tests();
        let (mut ours, theirs) = std::os::unix::net::UnixStream::pair().expect("socketpair");
        drop(theirs);
        let status = crate::ffi::guard::guard(|| {
            let err = ours
                .write_vectored(&[IoSlice::new(b"a"), IoSlice::new(b"b")])
                .expect_err("the peer is gone");
            assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
            Ok(())
        });
        assert_eq!(status, crate::ffi::status::ocireg_status::OCIREG_OK);
        assert!(!sigpipe_pending());
        assert!(!sigpipe_set_blocked(), "the caller's mask is restored");
    }

    /// The runtime's threads block `SIGPIPE` when they start.
    #[test]
    fn runtime_threads_block_sigpipe() {
        use std::io::{IoSlice, Write};
        default_sigpipe_for_tests();
        let blocked = crate::blocking::run_on_runtime_for_tests(|| {
            let (mut ours, theirs) = std::os::unix::net::UnixStream::pair().expect("socketpair");
            drop(theirs);
            let failed = ours.write_vectored(&[IoSlice::new(b"a")]).is_err();
            failed && sigpipe_set_blocked()
        });
        assert!(blocked);
    }

    fn sigpipe_set_blocked() -> bool {
        let mut mask = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: with a NULL new set pthread_sigmask only reads the mask
        // into `mask`, which is read after success.
        unsafe {
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), mask.as_mut_ptr()) == 0
                && libc::sigismember(mask.as_ptr(), libc::SIGPIPE) == 1
        }
    }
}
