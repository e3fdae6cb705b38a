//! A registry that accepts anything: it stores an upload under whatever
//! digest the client names, without hashing it, as a careless or hostile
//! destination would. What ocireg sends it must therefore be right before
//! it is sent. An upload counts as complete only when the final `PUT` body
//! arrived whole; a body cut short is dropped, as a real registry drops it.

use std::collections::HashMap;
use std::io::BufReader;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use sha2::{Digest as _, Sha256};

use super::http1::{read_body, read_head, request_framing, write_response};
use super::server::{Server, lock};

/// The largest body the permissive registry reads.
const MAX_BODY: u64 = 64 * 1024 * 1024;

#[derive(Default)]
struct Store {
    /// Open upload sessions: id to bytes so far.
    sessions: HashMap<u64, Vec<u8>>,
    next_session: u64,
    /// Completed blobs, by the digest the client named.
    blobs: HashMap<String, Vec<u8>>,
    /// Manifests by repository and reference (tag or digest).
    manifests: HashMap<(String, String), (String, Vec<u8>)>,
    /// Every `PUT` that completed a blob, in order: (digest named, bytes).
    completed: Vec<(String, Vec<u8>)>,
}

/// A running permissive registry on 127.0.0.1.
pub struct PermissiveRegistry {
    server: Server,
    store: Arc<Mutex<Store>>,
}

impl PermissiveRegistry {
    /// Starts one on a free port.
    pub fn start() -> PermissiveRegistry {
        let store: Arc<Mutex<Store>> = Arc::default();
        let shared = store.clone();
        let server = Server::start(
            "permissive-registry",
            Arc::new(move |stream: TcpStream| serve(stream, &shared)),
        );
        PermissiveRegistry { server, store }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> &str {
        self.server.addr()
    }

    /// Every blob upload completed so far: (digest the client named, bytes).
    pub fn completed_uploads(&self) -> Vec<(String, Vec<u8>)> {
        lock(&self.store).completed.clone()
    }

    /// The completed uploads whose bytes do not hash to the digest they
    /// were stored under (only sha256 is checked).
    pub fn wrong_blobs(&self) -> Vec<String> {
        self.completed_uploads()
            .into_iter()
            .filter(|(digest, bytes)| *digest != sha256_digest(bytes))
            .map(|(digest, _)| digest)
            .collect()
    }

    /// Whether a blob is stored under `digest`.
    pub fn has_blob(&self, digest: &str) -> bool {
        lock(&self.store).blobs.contains_key(digest)
    }

    /// How many manifests were stored.
    pub fn manifest_count(&self) -> usize {
        lock(&self.store).manifests.len()
    }
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

type Response = (u16, Vec<(String, String)>, Vec<u8>);

fn serve(stream: TcpStream, store: &Mutex<Store>) {
    let Ok(mut write) = stream.try_clone() else {
        return;
    };
    let mut read = BufReader::new(stream);
    while let Ok(Some(head)) = read_head(&mut read) {
        let Ok((method, target)) = head.request_line() else {
            return;
        };
        let Ok(framing) = request_framing(&head) else {
            return;
        };
        // A body cut short ends the connection and completes nothing.
        let Ok(body) = read_body(&mut read, framing, MAX_BODY) else {
            return;
        };
        let content_type = head.header("content-type").unwrap_or("").to_string();
        let (status, headers, reply) = answer(store, &method, &target, body, &content_type);
        if write_response(&mut write, &method, status, &headers, &reply, false).is_err() {
            return;
        }
    }
}

fn answer(
    store: &Mutex<Store>,
    method: &str,
    target: &str,
    body: Vec<u8>,
    content_type: &str,
) -> Response {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path == "/v2/" {
        return (200, vec![], b"{}".to_vec());
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        return not_found();
    };
    let mut store = lock(store);
    if let Some((repo, id)) = rest.split_once("/blobs/uploads/") {
        return upload(&mut store, method, repo, id, query, body);
    }
    if let Some((_, digest)) = rest.split_once("/blobs/") {
        return match store.blobs.get(digest) {
            Some(bytes) if method == "HEAD" || method == "GET" => (
                200,
                vec![
                    ("Content-Length".into(), bytes.len().to_string()),
                    ("Docker-Content-Digest".into(), digest.to_string()),
                ],
                if method == "GET" {
                    bytes.clone()
                } else {
                    Vec::new()
                },
            ),
            _ => not_found(),
        };
    }
    if let Some((repo, reference)) = rest.split_once("/manifests/") {
        let key = (repo.to_string(), reference.to_string());
        return match method {
            "PUT" => {
                let digest = sha256_digest(&body);
                store.manifests.insert(
                    (repo.to_string(), digest.clone()),
                    (content_type.to_string(), body.clone()),
                );
                store
                    .manifests
                    .insert(key, (content_type.to_string(), body));
                (
                    201,
                    vec![("Docker-Content-Digest".into(), digest)],
                    Vec::new(),
                )
            }
            "GET" | "HEAD" => match store.manifests.get(&key) {
                Some((ct, bytes)) => (
                    200,
                    vec![
                        ("Content-Type".into(), ct.clone()),
                        ("Docker-Content-Digest".into(), sha256_digest(bytes)),
                    ],
                    bytes.clone(),
                ),
                None => not_found(),
            },
            _ => not_found(),
        };
    }
    not_found()
}

fn upload(
    store: &mut Store,
    method: &str,
    repo: &str,
    id: &str,
    query: &str,
    body: Vec<u8>,
) -> Response {
    if method == "POST" {
        // No mounts: every blob is uploaded.
        let id = store.next_session;
        store.next_session += 1;
        store.sessions.insert(id, Vec::new());
        return (202, session_headers(repo, id, 0), Vec::new());
    }
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let Some(held) = store.sessions.get_mut(&id) else {
        return not_found();
    };
    held.extend_from_slice(&body);
    let len = held.len();
    match method {
        "PATCH" => (202, session_headers(repo, id, len), Vec::new()),
        "PUT" => {
            let digest = query
                .split('&')
                .find_map(|p| p.strip_prefix("digest="))
                .map(|d| d.replace("%3A", ":"))
                .unwrap_or_default();
            let bytes = store.sessions.remove(&id).unwrap_or_default();
            store.blobs.insert(digest.clone(), bytes.clone());
            store.completed.push((digest.clone(), bytes));
            (
                201,
                vec![
                    ("Location".into(), format!("/v2/{repo}/blobs/{digest}")),
                    ("Docker-Content-Digest".into(), digest),
                ],
                Vec::new(),
            )
        }
        _ => not_found(),
    }
}

fn session_headers(repo: &str, id: u64, len: usize) -> Vec<(String, String)> {
    vec![
        ("Location".into(), format!("/v2/{repo}/blobs/uploads/{id}")),
        ("Range".into(), format!("0-{}", len.saturating_sub(1))),
        ("Docker-Upload-UUID".into(), id.to_string()),
    ]
}

fn not_found() -> Response {
    (
        404,
        vec![("Content-Type".into(), "application/json".into())],
        br#"{"errors":[{"code":"NOT_FOUND","message":"not here"}]}"#.to_vec(),
    )
}
