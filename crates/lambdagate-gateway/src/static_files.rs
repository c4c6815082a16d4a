//! `--static-dir` (`sam local start-api`'s static assets): files of a folder served at the
//! root for GET and HEAD, ahead of the APIs, as SAM CLI's local server does.

use std::path::{Component, Path, PathBuf};

use bytes::Bytes;

/// A static file's content and type.
pub struct StaticFile {
    /// The bytes (empty for HEAD).
    pub body: Bytes,
    /// `Content-Type`, from the extension.
    pub content_type: &'static str,
    /// The file's size.
    pub length: u64,
}

/// The file under `root` that `raw_path` names, if there is one. Paths that climb out of the
/// folder (`..`), hidden files and folders are never served.
pub async fn lookup(root: &Path, raw_path: &str, head: bool) -> Option<StaticFile> {
    let path = resolve(root, raw_path)?;
    let metadata = tokio::fs::metadata(&path).await.ok()?;
    if !metadata.is_file() {
        return None;
    }
    let body = if head {
        Bytes::new()
    } else {
        Bytes::from(tokio::fs::read(&path).await.ok()?)
    };
    Some(StaticFile {
        body,
        content_type: content_type(&path),
        length: metadata.len(),
    })
}

fn resolve(root: &Path, raw_path: &str) -> Option<PathBuf> {
    let decoded = crate::request::percent_decode(raw_path);
    let relative = Path::new(decoded.trim_start_matches('/'));
    let mut out = root.to_path_buf();
    for component in relative.components() {
        match component {
            Component::Normal(part) => {
                if part.to_str().is_none_or(|p| p.starts_with('.')) {
                    return None;
                }
                out.push(part);
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    (out != root).then_some(out)
}

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("wasm") => "application/wasm",
        Some("xml") => "application/xml",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_folder() {
        let root = Path::new("/srv/public");
        assert_eq!(
            resolve(root, "/css/site.css"),
            Some(PathBuf::from("/srv/public/css/site.css"))
        );
        assert_eq!(
            resolve(root, "/a%20b.txt"),
            Some(PathBuf::from("/srv/public/a b.txt"))
        );
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/css/%2e%2e/%2e%2e/x"), None);
        assert_eq!(resolve(root, "/.env"), None);
        assert_eq!(resolve(root, "/"), None);
    }

    #[test]
    fn types_follow_the_extension() {
        assert_eq!(
            content_type(Path::new("a.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("a")), "application/octet-stream");
    }
}
