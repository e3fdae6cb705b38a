//! A scripted registry on loopback: `GET /v2/` answers 200, everything else
//! what the test's script says for the method and path.

use std::io::BufReader;
use std::net::TcpStream;
use std::sync::Arc;

use super::http1::{read_head, write_response};
use super::server::Server;

/// What the scripted registry answers: (status, headers, body) for a method and path.
pub type Script = dyn Fn(&str, &str) -> (u16, Vec<(String, String)>, Vec<u8>) + Send + Sync;

/// Starts a scripted registry on a free port.
pub fn scripted(script: Arc<Script>) -> Server {
    Server::start(
        "scripted-registry",
        Arc::new(move |stream: TcpStream| {
            let Ok(mut write) = stream.try_clone() else {
                return;
            };
            let mut read = BufReader::new(stream);
            while let Ok(Some(head)) = read_head(&mut read) {
                let Ok((method, path)) = head.request_line() else {
                    return;
                };
                let (status, headers, body) = if path == "/v2/" {
                    (200, vec![], b"{}".to_vec())
                } else {
                    script(&method, &path)
                };
                if write_response(&mut write, &method, status, &headers, &body, false).is_err() {
                    return;
                }
            }
        }),
    )
}

/// A `Content-Type` header.
pub fn content_type(ct: &str) -> Vec<(String, String)> {
    vec![("Content-Type".to_string(), ct.to_string())]
}
