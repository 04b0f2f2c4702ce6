//! Files: scenes, weights, writing any file atomically and reading one with
//! a size limit.
//!
//! Saves respect what is there: [`write_atomic`] replaces a symbolic link's
//! target (the link stays), refuses anything that is not a regular file
//! (a FIFO, a socket, a device, a folder) without opening it, and creates
//! the folder it writes into. [`read_capped`] refuses what is not a regular
//! file before opening it and never reads more than its limit.

pub mod lab;
pub mod lesson;
pub mod link;
pub mod net_lab;
pub mod net_weights;
pub mod scene;
pub mod weights;

use std::fs::FileType;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The most symbolic links followed from one path (Linux's own limit).
const MAX_LINKS: usize = 40;

/// What a path names, when it is not a regular file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A folder.
    Directory,
    /// A named pipe: opening it may block until a writer comes.
    Fifo,
    /// A Unix socket.
    Socket,
    /// A character device such as `/dev/zero`.
    CharDevice,
    /// A block device such as a disk.
    BlockDevice,
    /// A symbolic link (only when it could not be followed).
    Symlink,
    /// Anything else that is not a regular file.
    Other,
}

impl FileKind {
    /// The kind of a file type, or `None` for a regular file.
    pub fn of(file_type: FileType) -> Option<Self> {
        if file_type.is_file() {
            return None;
        }
        if file_type.is_dir() {
            return Some(Self::Directory);
        }
        if file_type.is_symlink() {
            return Some(Self::Symlink);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt as _;
            if file_type.is_fifo() {
                return Some(Self::Fifo);
            }
            if file_type.is_socket() {
                return Some(Self::Socket);
            }
            if file_type.is_char_device() {
                return Some(Self::CharDevice);
            }
            if file_type.is_block_device() {
                return Some(Self::BlockDevice);
            }
        }
        Some(Self::Other)
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Directory => "a folder",
            Self::Fifo => "a FIFO (named pipe)",
            Self::Socket => "a socket",
            Self::CharDevice => "a character device",
            Self::BlockDevice => "a block device",
            Self::Symlink => "a symbolic link",
            Self::Other => "a special file",
        })
    }
}

/// Why [`read_capped`] refused or failed. The messages do not repeat the
/// path: callers put it in front, as they do for OS errors.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be inspected, opened or read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The path names something other than a regular file; it was not opened.
    #[error("it is {kind}, not a regular file")]
    NotAFile {
        /// What it is.
        kind: FileKind,
    },
    /// The file holds more than the limit; reading stopped there.
    #[error("{}", too_large_message(*limit, *reported))]
    TooLarge {
        /// The most bytes accepted.
        limit: u64,
        /// The size the file system reported. When it is not over `limit`,
        /// the file held more than it reported (it grew while being read, or
        /// is one of the files, such as those in `/proc`, that report 0).
        reported: u64,
    },
}

fn too_large_message(limit: u64, reported: u64) -> String {
    if reported > limit {
        format!("it is {reported} bytes; the limit is {limit} bytes")
    } else {
        format!("it holds more than the limit of {limit} bytes")
    }
}

/// Reads a whole regular file of at most `limit` bytes.
///
/// The path (symbolic links followed) is checked with [`std::fs::metadata`]
/// before it is opened, so a FIFO cannot block the caller in `open` and a
/// device such as `/dev/zero` is refused at once. The file is read through
/// `take(limit + 1)`: a file that holds more than `limit` bytes is refused
/// whatever size it reports, and at most `limit + 1` bytes are ever read.
/// (A file that reports more than `limit` bytes is refused without reading.)
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path)?;
    if let Some(kind) = FileKind::of(meta.file_type()) {
        return Err(ReadError::NotAFile { kind });
    }
    let file = std::fs::File::open(path)?;
    // The path may have been swapped between the check and the open.
    let meta = file.metadata()?;
    if let Some(kind) = FileKind::of(meta.file_type()) {
        return Err(ReadError::NotAFile { kind });
    }
    let reported = meta.len();
    if reported > limit {
        // A regular file that says it is too large is refused unread; one
        // that says it is small is still read through the cap below.
        return Err(ReadError::TooLarge { limit, reported });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(reported.min(limit)).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit, reported });
    }
    Ok(bytes)
}

fn invalid_input(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}

/// The file a write to `path` lands in: `path` itself, or the end of its
/// chain of symbolic links (at most [`MAX_LINKS`]). The end may not exist.
///
/// Relative link targets are joined to the link's folder without removing
/// `..` by hand, so the OS resolves them as it resolves the link.
pub fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..=MAX_LINKS {
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        };
        if !meta.file_type().is_symlink() {
            return Ok(current);
        }
        let target = std::fs::read_link(&current)?;
        current = match current.parent() {
            Some(dir) if target.is_relative() => dir.join(target),
            _ => target,
        };
    }
    Err(invalid_input(format!(
        "more than {MAX_LINKS} symbolic links to follow; not writing"
    )))
}

/// Where a write to `path` would land, after checking that it may be
/// replaced: the end of its chain of symbolic links, which must be a regular
/// file or not exist. Anything else (a FIFO, a socket, a device, a folder)
/// is refused with [`std::io::ErrorKind::InvalidInput`] and a message that
/// says what it is; it is never opened. Nothing is created.
pub fn check_replaceable(path: &Path) -> std::io::Result<PathBuf> {
    let target = resolve_links(path)?;
    match std::fs::symlink_metadata(&target) {
        Ok(meta) => {
            if let Some(kind) = FileKind::of(meta.file_type()) {
                let what = if target == path {
                    format!("it is {kind}")
                } else {
                    format!("it links to {}, which is {kind}", target.display())
                };
                return Err(invalid_input(format!(
                    "{what}, not a regular file; not replacing it"
                )));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    if target.file_name().is_none() {
        return Err(invalid_input(format!("{} names no file", target.display())));
    }
    Ok(target)
}

/// Writes `bytes` to `path` atomically: into a temporary file in the same
/// folder, flushed to disk, then renamed over `path`. A crash midway leaves
/// the old file (if any) intact and at most a stray `.tmp` file beside it.
///
/// What is there is respected:
/// - a symbolic link stays a link: the end of its chain is replaced (the
///   temporary file goes in the target's folder);
/// - a FIFO, socket, device or folder is refused (see [`check_replaceable`])
///   and never opened;
/// - a replaced file keeps its permissions;
/// - the folder is created when missing.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = check_replaceable(path)?;
    let old_permissions = std::fs::metadata(&target).ok().map(|m| m.permissions());
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .ok_or_else(|| invalid_input(format!("{} names no file", target.display())))?;
    std::fs::create_dir_all(dir)?;
    let (tmp, mut file) = create_temporary(dir, name)?;
    let result = (|| {
        // Test hook: pause halfway through, so a test can kill the process
        // mid-write and check that the old file survives.
        let pause_ms = std::env::var("TELEPORT_LAB_TEST_SLOW_WRITE_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(ms) = pause_ms {
            let (head, tail) = bytes.split_at(bytes.len() / 2);
            file.write_all(head)?;
            file.sync_all()?;
            std::thread::sleep(std::time::Duration::from_millis(ms));
            file.write_all(tail)?;
        } else {
            file.write_all(bytes)?;
        }
        if let Some(permissions) = old_permissions {
            file.set_permissions(permissions)?;
        }
        file.sync_all()?;
        // Closed before the rename. (On the web `File` is a stub without
        // `Drop`, which clippy's drop_non_drop notes; nothing is written there.)
        #[cfg_attr(target_arch = "wasm32", allow(clippy::drop_non_drop))]
        drop(file);
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        // Best effort: the temporary file is ours and useless now.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A new temporary file `.{name}.{pid}.{n}.tmp` in `dir`, created
/// exclusively (never an existing file, FIFO or link).
fn create_temporary(
    dir: &Path,
    name: &std::ffi::OsStr,
) -> std::io::Result<(PathBuf, std::fs::File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut last_error = None;
    for _ in 0..16 {
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(
            ".{}.{}.tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let tmp = dir.join(tmp_name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("cannot create a temporary file")))
}

/// A CSV field (RFC 4180), quoted when it holds a comma, a quote or a line
/// break: every CSV the app and the command line write names rows alike.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_messages_name_the_limit() {
        let over = ReadError::TooLarge {
            limit: 10,
            reported: 20,
        };
        assert_eq!(over.to_string(), "it is 20 bytes; the limit is 10 bytes");
        let grew = ReadError::TooLarge {
            limit: 10,
            reported: 0,
        };
        assert_eq!(grew.to_string(), "it holds more than the limit of 10 bytes");
    }
}
