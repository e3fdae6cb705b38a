//! Reading a tar archive without unpacking it: one pass over the headers
//! (seeking past the contents) records where each member's bytes lie, and a
//! member is then streamed straight from its place in the file. Nothing is
//! extracted, so nothing can be written outside anything; still, a hostile
//! archive is refused with a clear error when it names a member with `..`
//! or an absolute path, claims more bytes than the file holds, or offers a
//! symlink, hard link or anything but a regular file where a file is read.
//! Listings are bounded in entries and in long-name bytes.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, stream};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::error::{Error, ErrorKind, Result};
use crate::image::layout_fs::io_error;

const BLOCK: u64 = 512;
/// The most members an archive may have.
const MAX_ENTRIES: usize = 100_000;
/// The longest GNU long name or pax header read.
const MAX_EXTENDED: u64 = 64 * 1024;
/// The read size when streaming a member: 1 MiB, half of what tokio's
/// `File` moves per blocking call, so that a GiB is a thousand reads (each a
/// hop to a blocking thread and back), not four thousand.
const CHUNK: usize = 1024 * 1024;

/// What kind of member a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Regular,
    Directory,
    Link,
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Member {
    kind: Kind,
    offset: u64,
    size: u64,
}

/// A tar file and where its members lie.
#[derive(Debug, Clone)]
pub(crate) struct TarIndex {
    path: PathBuf,
    members: HashMap<String, Member>,
}

impl TarIndex {
    /// Reads the headers of the tar file at `path` (a regular file; a FIFO
    /// or device is refused before it is read).
    pub async fn open(path: &Path) -> Result<TarIndex> {
        let owned = path.to_path_buf();
        tokio::task::spawn_blocking(move || index(&owned))
            .await
            .map_err(|e| Error::new(ErrorKind::Internal, format!("reading a tar file: {e}")))?
    }

    /// The archive's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the regular file `name` lies: its offset and size. `None` when
    /// there is no such member; an error when it is not a regular file.
    pub fn find(&self, name: &str) -> Result<Option<(u64, u64)>> {
        let Some(member) = self.members.get(normalize(name)) else {
            return Ok(None);
        };
        match member.kind {
            Kind::Regular => Ok(Some((member.offset, member.size))),
            kind => Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "{}: member {name} is {}, not a regular file",
                    self.path.display(),
                    match kind {
                        Kind::Link => "a symlink or hard link",
                        Kind::Directory => "a directory",
                        _ => "a special file",
                    }
                ),
            )),
        }
    }

    /// The regular file `name`: its offset and size, or a `NOT_FOUND` error.
    pub fn require(&self, name: &str) -> Result<(u64, u64)> {
        self.find(name)?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("{} has no member {name}", self.path.display()),
            )
        })
    }

    /// Reads the regular file `name` whole, up to `limit` bytes.
    pub async fn read(&self, name: &str, limit: u64) -> Result<Bytes> {
        let (offset, size) = self.require(name)?;
        if size > limit {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "{}: member {name} is {size} bytes, more than the {limit} read",
                    self.path.display()
                ),
            ));
        }
        let mut file = self.open_at(offset).await?;
        let mut bytes = vec![0u8; size as usize];
        file.read_exact(&mut bytes)
            .await
            .map_err(|e| io_error(&self.path, e))?;
        Ok(Bytes::from(bytes))
    }

    /// The first `n` bytes of the regular file `name` (fewer when shorter).
    pub async fn peek(&self, name: &str, n: usize) -> Result<Vec<u8>> {
        let (offset, size) = self.require(name)?;
        let mut file = self.open_at(offset).await?;
        let mut bytes = vec![0u8; n.min(size as usize)];
        file.read_exact(&mut bytes)
            .await
            .map_err(|e| io_error(&self.path, e))?;
        Ok(bytes)
    }

    /// Streams the bytes of the member at `offset`, `size` long.
    pub async fn stream(
        &self,
        offset: u64,
        size: u64,
    ) -> Result<impl Stream<Item = Result<Bytes>> + Send + 'static + use<>> {
        let file = self.open_at(offset).await?;
        Ok(region_stream(file, size, self.path.clone()))
    }

    async fn open_at(&self, offset: u64) -> Result<tokio::fs::File> {
        let mut file = tokio::fs::File::from_std(open_regular_file(&self.path)?.0);
        file.seek(SeekFrom::Start(offset))
            .await
            .map_err(|e| io_error(&self.path, e))?;
        Ok(file)
    }
}

/// The `size` bytes read from `file` (positioned at their start).
pub(crate) fn region_stream(
    file: tokio::fs::File,
    size: u64,
    path: PathBuf,
) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
    stream::unfold(
        (file, size, path, false),
        |(mut file, left, path, ended)| async move {
            if ended || left == 0 {
                return None;
            }
            let want = (left as usize).min(CHUNK);
            let mut buffer = BytesMut::zeroed(want);
            match file.read(&mut buffer).await {
                Ok(0) => Some((
                    Err(Error::new(
                        ErrorKind::Io,
                        format!("{}: ends early", path.display()),
                    )),
                    (file, 0, path, true),
                )),
                Ok(n) => {
                    buffer.truncate(n);
                    Some((Ok(buffer.freeze()), (file, left - n as u64, path, false)))
                }
                Err(e) => {
                    let e = io_error(&path, e);
                    Some((Err(e), (file, 0, path, true)))
                }
            }
        },
    )
}

/// Opens `path` for reading if it is a regular file (not following a final
/// symlink onto a FIFO or device: the path is the caller's, so it may be a
/// symlink, but what it reaches must be a regular file).
pub(crate) fn open_regular_file(path: &Path) -> Result<(std::fs::File, u64)> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    let meta = file.metadata().map_err(|e| io_error(path, e))?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok((file, meta.len()))
}

/// A member name without a leading `./`.
fn normalize(name: &str) -> &str {
    let mut name = name;
    while let Some(rest) = name.strip_prefix("./") {
        name = rest;
    }
    name
}

fn index(path: &Path) -> Result<TarIndex> {
    let (mut file, len) = open_regular_file(path)?;
    let bad = |why: String| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{}: not a valid tar archive: {why}", path.display()),
        )
    };
    let mut members = HashMap::new();
    let mut offset = 0u64;
    let mut long_name: Option<String> = None;
    let mut pax: Option<(Option<String>, Option<u64>)> = None;
    let mut header = [0u8; BLOCK as usize];
    loop {
        if offset + BLOCK > len {
            // A missing end-of-archive marker is tolerated, as tar does.
            if offset == len {
                break;
            }
            return Err(bad(format!("a header at byte {offset} is cut short")));
        }
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| io_error(path, e))?;
        file.read_exact(&mut header)
            .map_err(|e| io_error(path, e))?;
        if header.iter().all(|b| *b == 0) {
            break;
        }
        check_sum(&header).map_err(&bad)?;
        let (pax_path, pax_size) = pax.take().unwrap_or((None, None));
        let size = match pax_size {
            Some(size) => size,
            None => number(&header[124..136]).map_err(&bad)?,
        };
        let data = offset + BLOCK;
        let padded = size
            .div_ceil(BLOCK)
            .checked_mul(BLOCK)
            .ok_or_else(|| bad("size".into()))?;
        if data.checked_add(size).is_none_or(|end| end > len) {
            return Err(bad(format!(
                "a member claims {size} bytes at byte {data}, past the end of the file ({len} bytes)"
            )));
        }
        let flag = header[156];
        match flag {
            b'L' | b'x' => {
                if size > MAX_EXTENDED {
                    return Err(bad(format!("an extended header of {size} bytes")));
                }
                let mut text = vec![0u8; size as usize];
                file.read_exact(&mut text).map_err(|e| io_error(path, e))?;
                if flag == b'L' {
                    let end = text.iter().position(|b| *b == 0).unwrap_or(text.len());
                    long_name = Some(
                        String::from_utf8(text[..end].to_vec())
                            .map_err(|_| bad("a long name that is not UTF-8".into()))?,
                    );
                } else {
                    pax = Some(parse_pax(&text).map_err(&bad)?);
                }
            }
            b'g' | b'K' => {}
            _ => {
                let name = match (pax_path, long_name.take()) {
                    (Some(name), _) | (None, Some(name)) => name,
                    (None, None) => ustar_name(&header).map_err(&bad)?,
                };
                let name = check_name(&name).map_err(&bad)?;
                let kind = match flag {
                    b'0' | 0 | b'7' => Kind::Regular,
                    b'5' => Kind::Directory,
                    b'1' | b'2' => Kind::Link,
                    _ => Kind::Other,
                };
                if !name.is_empty() {
                    if members.len() >= MAX_ENTRIES {
                        return Err(bad(format!("more than {MAX_ENTRIES} members")));
                    }
                    let member = Member {
                        kind,
                        offset: data,
                        size: if kind == Kind::Regular { size } else { 0 },
                    };
                    if members.insert(name.clone(), member).is_some() && kind != Kind::Directory {
                        return Err(bad(format!("member {name} appears twice")));
                    }
                }
            }
        }
        offset = data + padded;
    }
    Ok(TarIndex {
        path: path.to_path_buf(),
        members,
    })
}

/// A member name, refused when absolute or when it climbs out with `..`;
/// returned without `./` and a trailing `/`.
fn check_name(name: &str) -> std::result::Result<String, String> {
    if name.starts_with('/') {
        return Err(format!("member {name:?} has an absolute path"));
    }
    if name.split('/').any(|part| part == "..") {
        return Err(format!("member {name:?} climbs out with .."));
    }
    Ok(normalize(name).trim_end_matches('/').to_string())
}

fn ustar_name(header: &[u8]) -> std::result::Result<String, String> {
    let field = |bytes: &[u8]| {
        let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
        String::from_utf8(bytes[..end].to_vec()).map_err(|_| "a name that is not UTF-8".to_string())
    };
    let name = field(&header[..100])?;
    if &header[257..262] == b"ustar" && header[345] != 0 {
        let prefix = field(&header[345..500])?;
        return Ok(format!("{prefix}/{name}"));
    }
    Ok(name)
}

fn check_sum(header: &[u8]) -> std::result::Result<(), String> {
    let stored = number(&header[148..156])?;
    let sum: u64 = header
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(*b)
            }
        })
        .sum();
    if stored != sum {
        return Err("a header checksum does not match".into());
    }
    Ok(())
}

/// An octal (or GNU base-256) number field.
fn number(field: &[u8]) -> std::result::Result<u64, String> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        let mut value = u64::from(field[0] & 0x7f);
        for b in &field[1..] {
            value = value
                .checked_mul(256)
                .and_then(|v| v.checked_add(u64::from(*b)))
                .ok_or("a number field overflows")?;
        }
        return Ok(value);
    }
    let text: String = field
        .iter()
        .take_while(|b| **b != 0)
        .map(|b| *b as char)
        .collect();
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(text, 8).map_err(|_| format!("a number field {text:?} is not octal"))
}

/// The `path` and `size` records of a pax extended header.
fn parse_pax(text: &[u8]) -> std::result::Result<(Option<String>, Option<u64>), String> {
    let (mut path, mut size) = (None, None);
    let mut rest = text;
    while !rest.is_empty() {
        let space = rest
            .iter()
            .position(|b| *b == b' ')
            .ok_or("a pax record without a length")?;
        let n: usize = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or("a pax record with a bad length")?;
        if n <= space + 1 || n > rest.len() {
            return Err("a pax record with a bad length".into());
        }
        let record = std::str::from_utf8(&rest[space + 1..n - 1])
            .map_err(|_| "a pax record that is not UTF-8")?;
        if let Some((key, value)) = record.split_once('=') {
            match key {
                "path" => path = Some(value.to_string()),
                "size" => {
                    size = Some(
                        value
                            .parse()
                            .map_err(|_| "a pax size that is not a number")?,
                    )
                }
                _ => {}
            }
        }
        rest = &rest[n..];
    }
    Ok((path, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, kind: u8, size: u64) -> [u8; 512] {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
        h[156] = kind;
        h[257..263].copy_from_slice(b"ustar\0");
        h[148..156].copy_from_slice(b"        ");
        let sum: u64 = h.iter().map(|b| u64::from(*b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        h
    }

    fn member(out: &mut Vec<u8>, name: &str, kind: u8, data: &[u8]) {
        out.extend_from_slice(&header(name, kind, data.len() as u64));
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }

    fn index_of(bytes: &[u8]) -> Result<TarIndex> {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "ocireg-tar-index-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::write(&path, bytes).unwrap();
        let result = index(&path);
        std::fs::remove_file(&path).unwrap();
        result
    }

    #[test]
    fn reads_pax_and_gnu_long_names_and_skips_contents() {
        let long = format!("blobs/sha256/{}", "a".repeat(120));
        let mut tar = Vec::new();
        member(&mut tar, "./first", b'0', b"hello");
        member(
            &mut tar,
            "././@LongLink",
            b'L',
            format!("{long}\0").as_bytes(),
        );
        member(&mut tar, "cut", b'0', b"long one");
        let record = format!("path={long}x\n");
        let record = format!(
            "{} {record}",
            record.len() + 1 + (record.len() + 4).to_string().len()
        );
        member(&mut tar, "PaxHeaders/x", b'x', record.as_bytes());
        member(&mut tar, "cut2", b'0', b"pax one");
        member(&mut tar, "dir/", b'5', b"");
        tar.extend_from_slice(&[0u8; 1024]);
        let index = index_of(&tar).unwrap();
        assert_eq!(index.find("first").unwrap(), Some((512, 5)));
        assert_eq!(index.find(&long).unwrap().map(|m| m.1), Some(8));
        assert_eq!(
            index.find(&format!("{long}x")).unwrap().map(|m| m.1),
            Some(7)
        );
        assert!(index.find("cut").unwrap().is_none());
        assert!(index.find("dir").is_err());
    }

    #[test]
    fn refuses_what_a_hostile_archive_holds() {
        for (name, why) in [("../x", "climbs out"), ("/etc/x", "absolute path")] {
            let mut tar = Vec::new();
            member(&mut tar, name, b'0', b"x");
            let err = index_of(&tar).unwrap_err();
            assert!(err.message().contains(why), "{err}");
        }
        let mut tar = Vec::new();
        member(&mut tar, "big", b'0', &[1u8; 2048]);
        tar.truncate(1024);
        assert!(
            index_of(&tar)
                .unwrap_err()
                .message()
                .contains("past the end")
        );
        let mut tar = Vec::new();
        member(&mut tar, "twice", b'0', b"1");
        member(&mut tar, "twice", b'0', b"2");
        assert!(
            index_of(&tar)
                .unwrap_err()
                .message()
                .contains("appears twice")
        );
        let mut tar = Vec::new();
        member(&mut tar, "bad", b'0', b"1");
        tar[0] = b'c';
        assert!(index_of(&tar).unwrap_err().message().contains("checksum"));
        assert_eq!(number(&[0x80, 0, 0, 0, 0, 0, 0, 1, 0]).unwrap(), 256);
    }
}
