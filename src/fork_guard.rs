//! What happens after `fork()`: a child process gets a copy of every
//! object of its parent but none of the runtime's threads, and the runtime's
//! I/O driver shares its epoll instance with the parent. Using (or even
//! dropping) an object from before the fork in the child would register or
//! remove the child's sockets in the parent's epoll set, hang the child and
//! crash the parent. So objects remember the process that made them: in any
//! other process their calls fail with `UNSUPPORTED` and dropping them
//! keeps them, untouched, until the child exits. The child gets a runtime
//! of its own (see
//! `blocking`), so clients it creates work.

use std::any::Any;
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, PoisonError};

use crate::error::{Error, ErrorKind, Result};

/// Objects from before a fork, dropped in the child: kept, untouched and
/// still reachable (so leak checkers do not report them), until the child
/// exits. Only a forked child ever takes this lock.
static KEPT: Mutex<Vec<Box<dyn Any + Send>>> = Mutex::new(Vec::new());

/// An object made in one process, never used or dropped in another.
pub(crate) struct Inherited<T: Send + 'static> {
    /// `Some` until dropped.
    value: Option<T>,
    pid: u32,
}

impl<T: Send + 'static> Inherited<T> {
    /// `value`, belonging to this process.
    pub(crate) fn new(value: T) -> Inherited<T> {
        Inherited {
            value: Some(value),
            pid: std::process::id(),
        }
    }

    /// Whether this is the process that made the object.
    pub(crate) fn is_home(&self) -> bool {
        self.pid == std::process::id()
    }

    /// `UNSUPPORTED` in a process forked after the object was made.
    pub(crate) fn check(&self) -> Result<()> {
        if self.is_home() {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Unsupported,
                "this object was created before fork(): a forked child cannot use it; \
                 create a new client in the child",
            ))
        }
    }
}

impl<T: Send + 'static> Deref for Inherited<T> {
    type Target = T;

    fn deref(&self) -> &T {
        match &self.value {
            Some(value) => value,
            None => unreachable!("the value is taken only by drop"),
        }
    }
}

impl<T: Send + 'static> DerefMut for Inherited<T> {
    fn deref_mut(&mut self) -> &mut T {
        match &mut self.value {
            Some(value) => value,
            None => unreachable!("the value is taken only by drop"),
        }
    }
}

impl<T: Clone + Send + 'static> Clone for Inherited<T> {
    /// The clone belongs to the process that made the original.
    fn clone(&self) -> Inherited<T> {
        Inherited {
            value: self.value.clone(),
            pid: self.pid,
        }
    }
}

impl<T: Send + 'static> Drop for Inherited<T> {
    fn drop(&mut self) {
        if let Some(value) = self.value.take()
            && !self.is_home()
        {
            // Dropping would reach into the parent's runtime: keep it.
            KEPT.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Box::new(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn at_home_it_is_used_and_dropped() {
        let shared = Arc::new(());
        let value = Inherited::new(Arc::clone(&shared));
        value.check().unwrap();
        assert_eq!(Arc::strong_count(&value), 2);
        drop(value);
        assert_eq!(Arc::strong_count(&shared), 1);
    }

    #[test]
    fn elsewhere_it_refuses_and_leaks() {
        let shared = Arc::new(());
        let mut value = Inherited::new(Arc::clone(&shared));
        value.pid = value.pid.wrapping_add(1);
        let err = value.check().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert!(err.message().contains("fork"), "{err}");
        drop(value);
        assert_eq!(Arc::strong_count(&shared), 2, "dropped in another process");
    }
}
