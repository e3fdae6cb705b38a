//! A thread-per-connection TCP server on 127.0.0.1 that stops on drop.

use std::collections::HashMap;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Handles one accepted connection, on its own thread.
pub type Handler = Arc<dyn Fn(TcpStream) + Send + Sync>;

/// A listening server. Dropping it stops accepting and shuts down every open
/// connection (their threads then end on their own).
pub struct Server {
    addr: String,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<HashMap<u64, TcpStream>>>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds a free port on 127.0.0.1 and serves each connection with `handler`.
    pub fn start(name: &str, handler: Handler) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("{name}: cannot bind 127.0.0.1:0: {e}"));
        let addr = listener.local_addr().expect("local_addr").to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<HashMap<u64, TcpStream>>> = Arc::default();
        let accept = {
            let (stop, conns) = (stop.clone(), conns.clone());
            let thread_name = format!("{name}-accept");
            std::thread::Builder::new()
                .name(thread_name)
                .spawn(move || accept_loop(listener, stop, conns, handler))
                .expect("spawn accept thread")
        };
        Server {
            addr,
            stop,
            conns,
            accept: Some(accept),
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        &self.addr
    }
}

fn accept_loop(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<HashMap<u64, TcpStream>>>,
    handler: Handler,
) {
    let next_id = AtomicU64::new(0);
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(clone) = stream.try_clone() {
            lock(&conns).insert(id, clone);
        }
        let (conns2, handler) = (conns.clone(), handler.clone());
        let spawned = std::thread::Builder::new().spawn(move || {
            handler(stream);
            lock(&conns2).remove(&id);
        });
        if spawned.is_err() {
            // Out of threads: the stream went down with the failed closure.
            lock(&conns).remove(&id);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept().
        let _ = TcpStream::connect(&self.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        for (_, c) in lock(&self.conns).drain() {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

/// Locks a mutex, ignoring poisoning (a panicking test thread must not
/// cascade into every other user of the server).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
