//! Files that survive a crash, and the hash that seals them: an atomic, fsynced replace, and
//! SHA-256 in hex. A leaf: it depends on nothing of warroom's.

use std::io::{self, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

/// `sha256:` and the hex digest of `text`.
pub fn checksum(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Replaces `path` with `contents` so that a crash leaves either the old file or the new
/// one, never half of either: a temporary file beside it, fsync, rename, fsync the folder.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
