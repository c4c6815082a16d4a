//! Checking a function's `.zip` before it is unpacked: that it is a zip archive, and that no
//! entry would land outside the folder it is unpacked into (`../` names, absolute names, a
//! symbolic link that later entries would write through). Lambda refuses such archives; an
//! unpacker that followed them would write anywhere on the user's disk.
//!
//! Only the central directory (the archive's table of contents) is read; the unpacking itself
//! is left to `unzip` / Python (see `code.rs`), and symbolic links' targets are checked on the
//! unpacked files, since a link's target is compressed data.

use std::path::{Component, Path, PathBuf};

/// The end-of-central-directory record's signature.
const END: u32 = 0x0605_4b50;
/// A central-directory entry's signature.
const ENTRY: u32 = 0x0201_4b50;
/// `S_IFMT` / `S_IFLNK` in the high half of an entry's external attributes (Unix archivers).
const TYPE_MASK: u32 = 0o170_000;
const SYMLINK: u32 = 0o120_000;

/// One entry's name and whether it is a symbolic link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name as stored (`/`-separated).
    pub name: String,
    /// True for a symbolic link.
    pub symlink: bool,
}

fn u16_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The archive's entries, or why it is not a zip archive.
pub fn entries(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    const NOT_A_ZIP: &str = "it is not a zip archive (no zip directory at its end)";
    // The record is 22 bytes plus a comment of at most 65535.
    let earliest = bytes.len().saturating_sub(22 + 65_535);
    let end = (earliest..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&at| u32_at(bytes, at) == Some(END))
        .ok_or(NOT_A_ZIP)?;
    let count = u16_at(bytes, end + 10).ok_or(NOT_A_ZIP)?;
    let offset = u32_at(bytes, end + 16).ok_or(NOT_A_ZIP)?;
    if count == 0xffff || offset == 0xffff_ffff {
        // ZIP64: the directory is described elsewhere; unpacking and the checks on the
        // unpacked files still apply.
        return Ok(Vec::new());
    }
    let mut at = offset as usize;
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let broken = || "its zip directory is damaged".to_string();
        if u32_at(bytes, at) != Some(ENTRY) {
            return Err(broken());
        }
        let made_by = u16_at(bytes, at + 4).ok_or_else(broken)?;
        let name_len = u16_at(bytes, at + 28).ok_or_else(broken)? as usize;
        let extra_len = u16_at(bytes, at + 30).ok_or_else(broken)? as usize;
        let comment_len = u16_at(bytes, at + 32).ok_or_else(broken)? as usize;
        let external = u32_at(bytes, at + 38).ok_or_else(broken)?;
        let name = bytes.get(at + 46..at + 46 + name_len).ok_or_else(broken)?;
        let unix = made_by >> 8 == 3;
        out.push(Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            symlink: unix && (external >> 16) & TYPE_MASK == SYMLINK,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(out)
}

/// Why an entry would be written outside the folder, if it would.
pub fn escapes(entries: &[Entry]) -> Option<String> {
    for entry in entries {
        let name = entry.name.replace('\\', "/");
        let drive = name.len() >= 2 && name.as_bytes()[1] == b':';
        if name.starts_with('/') || drive {
            return Some(format!("entry `{}` has an absolute path", entry.name));
        }
        if name.split('/').any(|part| part == "..") {
            return Some(format!(
                "entry `{}` would be written outside the function's folder",
                entry.name
            ));
        }
    }
    // A later entry under a link would be written wherever the link points.
    for link in entries.iter().filter(|e| e.symlink) {
        let prefix = format!("{}/", link.name.trim_end_matches('/'));
        if let Some(under) = entries.iter().find(|e| e.name.starts_with(&prefix)) {
            return Some(format!(
                "entry `{}` would be written through the symbolic link `{}`",
                under.name, link.name
            ));
        }
    }
    None
}

/// A symbolic link under `root` that points outside it, if any.
pub fn link_out_of(root: &Path) -> Option<String> {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in read.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                let target = std::fs::read_link(&path).unwrap_or_default();
                let resolved = normalize(&dir.join(&target));
                if target.is_absolute() || !resolved.starts_with(root) {
                    let name = path.strip_prefix(root).unwrap_or(&path);
                    return Some(format!(
                        "entry `{}` is a symbolic link to `{}`, outside the function's folder",
                        name.display(),
                        target.display()
                    ));
                }
            } else if kind.is_dir() {
                stack.push(path);
            }
        }
    }
    None
}

/// `path` with `.` and `..` worked out without touching the disk.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_names_and_links() {
        let e = |name: &str, symlink| Entry {
            name: name.into(),
            symlink,
        };
        assert_eq!(escapes(&[e("app.py", false), e("lib/x.py", false)]), None);
        assert!(
            escapes(&[e("../evil.py", false)])
                .unwrap()
                .contains("outside")
        );
        assert!(escapes(&[e("a/../../evil.py", false)]).is_some());
        assert!(
            escapes(&[e("/etc/passwd", false)])
                .unwrap()
                .contains("absolute")
        );
        assert!(escapes(&[e("C:\\x", false)]).is_some());
        assert!(
            escapes(&[e("link", true), e("link/passwd", false)])
                .unwrap()
                .contains("through the symbolic link `link`")
        );
        assert_eq!(
            entries(b"not a zip at all").unwrap_err(),
            "it is not a zip archive (no zip directory at its end)"
        );
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
    }
}
