//! Where a function's code is on this machine: a local folder, a local `.zip` unpacked into a
//! cache folder, or inline code written to one.
//!
//! The sources a template may name: SAM's `CodeUri` (a folder or a `.zip`) and `InlineCode`;
//! `AWS::Lambda::Function`'s `Code` as `sam build` and CDK write it (a local path, or
//! `{S3Bucket, S3Key}` with CDK's `aws:asset:path` Metadata naming the local asset, or an asset
//! manifest beside the template naming the key's source), `serverless package`'s S3 keys of
//! the zips beside the template, and `Code.ZipFile` (inline code). Unpacked and inline code goes to the user's cache folder
//! (`$XDG_CACHE_HOME/lambdagate/code/…`), never next to the template, keyed by content so an
//! edit gets a new folder and an unchanged one is reused.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::diag::{Diags, R};
use crate::eval::Resource;
use crate::node::{Node, Pos};

/// The code folder of a function resource (`AWS::Serverless::Function` or
/// `AWS::Lambda::Function`), reporting every problem. `runtime` picks the inline file's name.
pub fn folder(
    d: &mut Diags,
    resource: &Resource,
    props: &Node,
    runtime: Option<&str>,
    base: &Path,
    owner: &str,
    strict: bool,
) -> R<PathBuf> {
    if resource.kind == "AWS::Lambda::Function" {
        let Some(code) = props.get("Code") else {
            let message =
                format!("{owner} needs Code (a local folder, or ZipFile with inline code)");
            if strict {
                return Err(d.error(resource.pos, message));
            }
            // `sam local` takes the template's folder for a function that names no code.
            d.warn(
                resource.pos,
                format!(
                    "{message}; its code is taken from the template's folder, as `sam local` \
                     does (`lambdagate validate` reports it as an error)"
                ),
            );
            return Ok(base.to_path_buf());
        };
        if let Some(path) = code.as_str() {
            return local(d, code.pos, path, "Code", owner, base);
        }
        if let Some(inline) = code.get("ZipFile") {
            return inline_code(d, inline, runtime, owner);
        }
        if code.get("ImageUri").is_some() {
            return Err(d.error(
                code.pos,
                format!(
                    "{owner}: Code.ImageUri needs a container engine to run the image; \
                     lambdagate runs zip functions"
                ),
            ));
        }
        if let Some(asset) = crate::cdk::asset_of(resource, "Code") {
            return from_asset(d, asset, owner, base);
        }
        if let Some(source) = packaged(code, base) {
            return local(d, code.pos, &source, "Code", owner, base);
        }
        return Err(d.error(
            code.pos,
            format!(
                "{owner}: Code is in S3 (S3Bucket/S3Key); lambdagate runs local code, so Code \
                 must be a local path (as `sam build` writes it), ZipFile, or carry CDK's \
                 `aws:asset:path` Metadata"
            ),
        ));
    }
    if let Some(inline) = props.get("InlineCode") {
        return inline_code(d, inline, runtime, owner);
    }
    match props.get("CodeUri") {
        Some(node) => match node.as_str() {
            Some(uri) => local(d, node.pos, uri, "CodeUri", owner, base),
            None => match crate::cdk::asset_of(resource, "CodeUri") {
                Some(asset) => from_asset(d, asset, owner, base),
                None => Err(d.error(
                    node.pos,
                    format!(
                        "{owner}: CodeUri is {} (an S3 location); lambdagate runs local code, so \
                         CodeUri must be a folder path such as `src/` or a local .zip",
                        node.kind_name()
                    ),
                )),
            },
        },
        // No CodeUri: CDK's asset path when the Metadata names one (as `sam local` takes it),
        // else the template's folder.
        None => match crate::cdk::asset_of(resource, "CodeUri") {
            Some(asset) => from_asset(d, asset, owner, base),
            None => Ok(base.to_path_buf()),
        },
    }
}

/// True when the function's code is a local `.zip` file (`CodeUri`, `Code` or CDK's asset
/// path): if it cannot be unpacked, only that function is lost.
pub fn local_zip(resource: &Resource, props: &Node, base: &Path) -> bool {
    let key = if resource.kind == "AWS::Lambda::Function" {
        "Code"
    } else {
        "CodeUri"
    };
    let named = props
        .get(key)
        .and_then(Node::as_str)
        .or_else(|| crate::cdk::asset_of(resource, key).and_then(Node::as_str));
    named.is_some_and(|uri| uri.to_ascii_lowercase().ends_with(".zip") && base.join(uri).is_file())
        || props
            .get(key)
            .and_then(|code| packaged(code, base))
            .is_some_and(|path| path.to_ascii_lowercase().ends_with(".zip"))
}

/// The local folder or zip that `Code` / `Content` in S3 (`{S3Bucket, S3Key}`) was published
/// from, relative to the template's folder:
/// - the CDK asset whose destination is that key, as the asset manifests beside the template
///   (`cdk.out/*.assets.json`) record it: a CDK app synthesized without the CLI's asset
///   metadata (`app.synth()` run directly, `--no-asset-metadata`) names its code only there;
/// - else the zip beside the template under the key's file name: what `serverless package`
///   writes (`.serverless/` holds the CloudFormation template and the zips its `S3Key`s
///   name, `serverless/<service>/<stage>/<time>/<name>.zip`).
pub fn packaged(code: &Node, base: &Path) -> Option<String> {
    let key = code.get("S3Key")?.as_str()?;
    cdk_asset_published_as(key, base).or_else(|| {
        let name = key.rsplit('/').next()?;
        (name.to_ascii_lowercase().ends_with(".zip") && base.join(name).is_file())
            .then(|| name.to_string())
    })
}

/// The `source.path` of the file asset that an asset manifest in `base` publishes under the
/// object key `key`.
fn cdk_asset_published_as(key: &str, base: &Path) -> Option<String> {
    for entry in std::fs::read_dir(base).ok()?.flatten() {
        let path = entry.path();
        if !path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".assets.json"))
        {
            continue;
        }
        let Some(manifest) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        else {
            continue;
        };
        let files = manifest.get("files").and_then(|f| f.as_object());
        for asset in files.into_iter().flat_map(|f| f.values()) {
            let published = asset
                .get("destinations")
                .and_then(|d| d.as_object())
                .is_some_and(|d| {
                    d.values()
                        .any(|to| to.get("objectKey").and_then(|k| k.as_str()) == Some(key))
                });
            if let (true, Some(source)) = (
                published,
                asset.pointer("/source/path").and_then(|p| p.as_str()),
            ) {
                return Some(source.to_string());
            }
        }
    }
    None
}

/// The local folder (or zip) CDK's `aws:asset:path` names (see [`crate::cdk::asset_of`]).
fn from_asset(d: &mut Diags, asset: &Node, owner: &str, base: &Path) -> R<PathBuf> {
    let path = asset.as_str().unwrap_or_default();
    local(d, asset.pos, path, "aws:asset:path", owner, base)
}

/// A local folder, or a local `.zip` unpacked into the cache.
fn local(d: &mut Diags, pos: Pos, uri: &str, key: &str, owner: &str, base: &Path) -> R<PathBuf> {
    if uri.starts_with("s3://") {
        return Err(d.error(
            pos,
            format!("{owner}: {key} `{uri}` is in S3; lambdagate runs local code, so {key} must be a local folder or .zip"),
        ));
    }
    let path = crate::props::absolute(&base.join(uri));
    if path.is_dir() {
        return Ok(path);
    }
    if path.is_file() && uri.to_ascii_lowercase().ends_with(".zip") {
        return unzip(&path).map_err(|why| {
            d.error(
                pos,
                format!("{owner}: {key} `{uri}` could not be unpacked: {why}"),
            )
        });
    }
    if path.is_file() {
        return Err(d.error(
            pos,
            format!(
                "{owner}: {key} `{uri}` is a file; it must be a folder holding the code or a .zip"
            ),
        ));
    }
    Err(d.error(
        pos,
        format!(
            "{owner}: {key} `{uri}` does not exist (looked for {})",
            path.display()
        ),
    ))
}

/// Inline code (`InlineCode`, `Code.ZipFile`) as the file Lambda would create: `index.py` for
/// Python, `index.js` for Node.js (so the handler is `index.handler`).
fn inline_code(d: &mut Diags, node: &Node, runtime: Option<&str>, owner: &str) -> R<PathBuf> {
    let Some(code) = node.as_str() else {
        return Err(d.error(
            node.pos,
            format!(
                "{owner}: inline code must be a string, not {}",
                node.kind_name()
            ),
        ));
    };
    let file = match runtime {
        Some(r) if r.starts_with("python") => "index.py",
        Some(r) if r.starts_with("nodejs") => "index.js",
        // No runtime is reported where the runtime is read.
        None => return Err(crate::diag::Reported),
        Some(r) => {
            return Err(d.error(
                node.pos,
                format!("{owner}: inline code needs a Python or Node.js runtime, not `{r}`"),
            ));
        }
    };
    let dir = cache_root()
        .join("lambdagate/code/inline")
        .join(hash([file.as_bytes(), code.as_bytes()]));
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        let path = dir.join(file);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(code) {
            return Ok(());
        }
        // Write then rename, so a concurrent lambdagate never runs a half-written file.
        let tmp = dir.join(format!(".{file}.{}", std::process::id()));
        std::fs::write(&tmp, code)?;
        std::fs::rename(&tmp, &path)
    });
    match written {
        Ok(()) => Ok(dir),
        Err(e) => Err(d.error(
            node.pos,
            format!(
                "{owner}: cannot write the inline code to {}: {e}",
                dir.display()
            ),
        )),
    }
}

/// Unpacks `zip` into `lambdagate/code/zip/<content hash>` in the cache (once per content).
/// No zip library is among the workspace's dependencies, so this runs the system's `unzip`
/// (which keeps executable bits, as `bootstrap` files need), else Python's `zipfile`.
pub(crate) fn unzip(zip: &Path) -> Result<PathBuf, String> {
    let bytes = std::fs::read(zip).map_err(|e| e.to_string())?;
    let entries = crate::zip::entries(&bytes)?;
    if let Some(why) = crate::zip::escapes(&entries) {
        return Err(why);
    }
    let root = cache_root().join("lambdagate/code/zip");
    let dir = root.join(hash([&bytes[..]]));
    if dir.is_dir() {
        return Ok(dir);
    }
    let tmp = root.join(format!(".{}.{}", hash([&bytes[..]]), std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
    let quiet = |c: &mut Command| {
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
    };
    let unzipped = match quiet(Command::new("unzip").arg("-q").arg(zip).arg("-d").arg(&tmp)) {
        Ok(out) if out.status.success() => Ok(()),
        first => {
            let python = quiet(
                Command::new("python3")
                    .args(["-m", "zipfile", "-e"])
                    .arg(zip)
                    .arg(&tmp),
            );
            match python {
                Ok(out) if out.status.success() => Ok(()),
                Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
                Err(_) => Err(match first {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
                    Err(e) => format!("neither `unzip` nor `python3` could be run ({e})"),
                }),
            }
        }
    };
    if let Err(why) = unzipped.and_then(|()| match crate::zip::link_out_of(&tmp) {
        Some(why) => Err(why),
        None => Ok(()),
    }) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(why);
    }
    // Another lambdagate may have unpacked the same content meanwhile: theirs is as good.
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
        if !dir.is_dir() {
            return Err(format!("cannot create {}", dir.display()));
        }
    }
    Ok(dir)
}

/// The user's cache folder (`$XDG_CACHE_HOME`, `~/.cache`, else the temporary folder).
fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache");
    }
    std::env::temp_dir()
}

/// FNV-1a over the parts (with a separator), as hex: a folder name that changes with content.
fn hash<const N: usize>(parts: [&[u8]; N]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &byte in part.iter().chain([0u8].iter()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}
