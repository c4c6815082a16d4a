//! Hot reload's eyes: which files to watch for an application, and what a batch of changed
//! paths means (the template changed, or some functions' code did).
//!
//! Watched: the template's folder (not recursively: the template and the files next to it
//! that it loads), the `--env-vars` file's folder, and each function's code and layer folders
//! (recursively), and the folder of every other file the template was read with. Editors that
//! save by renaming replace the file, so folders are watched, never single files; a folder that
//! does not exist yet is watched through its nearest existing ancestor.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lambdagate_model::Application;
use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

/// How long the files must stay quiet before a batch of changes is acted on: editors write a
/// file in several steps, and a package install touches thousands of files.
pub const QUIET: Duration = Duration::from_millis(200);

/// The longest a batch waits for quiet, so a file rewritten continuously still reloads.
pub const MAX_BATCH: Duration = Duration::from_secs(3);

/// What one batch of changed paths asks for.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// The template or a file loaded with it changed: load the application again.
    pub template: bool,
    /// Functions (logical ids) whose code or layers changed.
    pub code: BTreeSet<String>,
}

impl Changes {
    /// Whether anything needs doing.
    pub fn is_empty(&self) -> bool {
        !self.template && self.code.is_empty()
    }
}

/// The files of an application that changes are looked for in.
#[derive(Debug, Clone)]
pub struct WatchSet {
    template: PathBuf,
    template_dir: PathBuf,
    env_vars: Option<PathBuf>,
    /// The other files the template was read with (OpenAPI definitions, included snippets,
    /// nested stacks), wherever they are.
    sources: Vec<PathBuf>,
    /// Code and layer folders, each with the functions that run from it.
    code_dirs: Vec<(PathBuf, Vec<String>)>,
}

impl WatchSet {
    /// What to watch for `app`, loaded from `template`, with `--env-vars` file `env_vars`.
    pub fn of(app: &Application, template: &Path, env_vars: Option<&Path>) -> WatchSet {
        let template = absolute(template);
        let template_dir = template
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/"));
        let mut code_dirs: Vec<(PathBuf, Vec<String>)> = Vec::new();
        for function in &app.functions {
            let dirs = std::iter::once(&function.code_dir).chain(function.layers.iter());
            for dir in dirs {
                let dir = absolute(dir);
                match code_dirs.iter_mut().find(|(d, _)| *d == dir) {
                    Some((_, ids)) => ids.push(function.logical_id.clone()),
                    None => code_dirs.push((dir, vec![function.logical_id.clone()])),
                }
            }
        }
        WatchSet {
            template,
            template_dir,
            env_vars: env_vars.map(absolute),
            // Absolute already: the loader records them so.
            sources: app.sources.clone(),
            code_dirs,
        }
    }

    /// The template's path, absolute.
    pub fn template(&self) -> &Path {
        &self.template
    }

    /// Adds files read with the template (those a failed load's errors are in, or that it
    /// could not find). The next successful load's set replaces them.
    pub fn add_sources(&mut self, files: impl IntoIterator<Item = PathBuf>) {
        for file in files {
            let file = absolute(&file);
            if file != self.template && !self.sources.contains(&file) {
                self.sources.push(file);
            }
        }
    }

    /// The folders to watch and how.
    pub fn folders(&self) -> Vec<(PathBuf, RecursiveMode)> {
        self.folders_where(|dir| dir.is_dir())
    }

    /// [`WatchSet::folders`], with `exists` telling which folders exist.
    fn folders_where(&self, exists: impl Fn(&Path) -> bool) -> Vec<(PathBuf, RecursiveMode)> {
        let mut out: Vec<(PathBuf, RecursiveMode)> = Vec::new();
        let recursive: Vec<&PathBuf> = self.code_dirs.iter().map(|(d, _)| d).collect();
        for dir in &recursive {
            // A folder inside another watched code folder is already covered.
            if !recursive.iter().any(|o| o != dir && dir.starts_with(o)) {
                out.push(((*dir).clone(), RecursiveMode::Recursive));
            }
        }
        // A file's folder, not the file: editors save by writing a new file and renaming it
        // over the old one, which a watch on the file itself would lose.
        let flat = std::iter::once(self.template_dir.clone()).chain(
            self.env_vars
                .iter()
                .chain(&self.sources)
                .filter_map(|f| f.parent().map(Path::to_path_buf)),
        );
        for dir in flat {
            // A folder still to be made (the template names a file in it) is watched through
            // the nearest one that exists: its creation reloads, the reload fails again for
            // the missing file, and the watch moves down to the new folder (see `classify`).
            let dir = nearest_existing(dir, &exists);
            // Only a recursive watch covers a subfolder (the template's own folder is watched
            // flat, and an `--env-vars` file in a subfolder of it was missed that way).
            let covered = out
                .iter()
                .any(|(d, m)| *m == RecursiveMode::Recursive && dir.starts_with(d));
            if !covered && !out.iter().any(|(d, _)| *d == dir) {
                out.push((dir, RecursiveMode::NonRecursive));
            }
        }
        out
    }

    /// What a batch of changed paths means.
    pub fn classify<'a>(&self, paths: impl IntoIterator<Item = &'a Path>) -> Changes {
        let mut changes = Changes::default();
        for path in paths {
            if ignored(path) {
                continue;
            }
            // The template itself is never a function's code, even with `CodeUri: .`: its edit
            // reloads the application, which restarts only the functions whose settings changed.
            if path == self.template || Some(path) == self.env_vars.as_deref() {
                changes.template = true;
                continue;
            }
            // A file read with the template may also sit in a code folder (an OpenAPI file
            // beside the handler with `CodeUri: .`): the function may read it too.
            if self.sources.iter().any(|s| s == path) {
                changes.template = true;
            }
            // A folder made on the way to a file the template names but that does not exist
            // yet: load again (and watch deeper), so that creating the file is seen.
            if std::iter::once(&self.template)
                .chain(&self.sources)
                .any(|s| s != path && s.starts_with(path))
            {
                changes.template = true;
            }
            let mut in_code = false;
            for (dir, ids) in &self.code_dirs {
                if path.starts_with(dir) {
                    in_code = true;
                    changes.code.extend(ids.iter().cloned());
                }
            }
            // Files loaded with the template (OpenAPI bodies, nested templates, included
            // snippets) sit next to it; a code folder's own files are code.
            if !in_code && path.parent() == Some(self.template_dir.as_path()) && loadable(path) {
                changes.template = true;
            }
        }
        changes
    }
}

/// What a folder's files are: their paths, sizes and modification times, hashed. Two equal
/// fingerprints mean nothing a function would load changed, whatever events arrived (a burst
/// of events can straddle two batches, and touching a file without changing it is no change).
/// Bounded: at most `MAX_FINGERPRINT_FILES` files are looked at.
pub fn fingerprint(dir: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    const MAX_FINGERPRINT_FILES: usize = 50_000;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = 0usize;
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            if ignored(&path) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            path.hash(&mut hasher);
            meta.len().hash(&mut hasher);
            if let Ok(modified) = meta.modified() {
                modified.hash(&mut hasher);
            }
            seen += 1;
            if seen >= MAX_FINGERPRINT_FILES {
                return hasher.finish();
            }
        }
    }
    hasher.finish()
}

/// Paths whose changes never matter: bytecode, version control, editors' scratch files.
fn ignored(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let scratch = name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".pyc")
        || name.starts_with(".#")
        || name == "4913"; // vim's probe file
    scratch
        || path.components().any(|c| {
            matches!(
                c.as_os_str().to_str(),
                Some("__pycache__" | ".git" | ".hg" | ".svn" | ".idea" | ".vscode")
            )
        })
}

/// Files the template loader reads besides the template.
fn loadable(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json" | "template")
    )
}

/// `dir`, or its nearest ancestor that exists.
fn nearest_existing(dir: PathBuf, exists: impl Fn(&Path) -> bool) -> PathBuf {
    let mut at = dir.as_path();
    while !exists(at) {
        match at.parent() {
            Some(parent) => at = parent,
            None => break,
        }
    }
    at.to_path_buf()
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A file watcher that sends every changed path on a channel.
pub struct FileWatcher {
    watcher: notify::RecommendedWatcher,
    /// The folders watched, with the identity each had when its watch was set.
    watching: Vec<(PathBuf, RecursiveMode, Option<FolderId>)>,
    /// Folders that could not be watched, said once: every failed reload tries them again.
    refused: Vec<PathBuf>,
    /// The channel's sending end, to ask for a look at a path no event named.
    poke: mpsc::UnboundedSender<PathBuf>,
}

/// What [`FileWatcher::watch`] did.
pub struct Watched {
    /// The folders that could not be watched, with why (each folder once).
    pub failures: Vec<String>,
    /// A folder is watched now that was not (new, or made again since its watch was set):
    /// what was written in it before the watch was set raised no event.
    pub new_folders: bool,
}

/// A folder's identity: device, inode and, where the file system keeps it, the time it was
/// made. A folder removed and made again (`sam build`, `serverless package`) is another one,
/// and a watch on the old one sees nothing of it; the inode alone does not tell, since the
/// file system hands a freed one out again at once.
type FolderId = (u64, u64, Option<std::time::SystemTime>);

fn identity(dir: &Path) -> Option<FolderId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir)
        .ok()
        .map(|m| (m.dev(), m.ino(), m.created().ok()))
}

impl FileWatcher {
    /// Starts a watcher; changed paths arrive on the returned channel.
    pub fn start() -> notify::Result<(FileWatcher, mpsc::UnboundedReceiver<PathBuf>)> {
        let (tx, rx) = mpsc::unbounded_channel();
        let poke = tx.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            // Reads and metadata-only changes (atime) change nothing.
            if matches!(event.kind, notify::EventKind::Access(_)) {
                return;
            }
            for path in event.paths {
                let _ = tx.send(path);
            }
        })?;
        Ok((
            FileWatcher {
                watcher,
                watching: Vec::new(),
                refused: Vec::new(),
                poke,
            },
            rx,
        ))
    }

    /// Watches exactly `set`'s folders. Folders watched already stay watched: unwatching them
    /// even briefly would lose a save that lands right after a reload; but one made again since
    /// its watch was set is watched anew.
    pub fn watch(&mut self, set: &WatchSet) -> Watched {
        let wanted = set.folders();
        let mut kept = Vec::new();
        for (dir, mode, id) in std::mem::take(&mut self.watching) {
            let same = id.is_some() && identity(&dir) == id;
            if same && wanted.iter().any(|(d, m)| *d == dir && *m == mode) {
                kept.push((dir, mode, id));
            } else {
                let _ = self.watcher.unwatch(&dir);
            }
        }
        self.watching = kept;
        let mut watched = Watched {
            failures: Vec::new(),
            new_folders: false,
        };
        for (dir, mode) in wanted {
            if self
                .watching
                .iter()
                .any(|(d, m, _)| *d == dir && *m == mode)
            {
                continue;
            }
            match self.watcher.watch(&dir, mode) {
                Ok(()) => {
                    self.refused.retain(|d| *d != dir);
                    let id = identity(&dir);
                    self.watching.push((dir, mode, id));
                    watched.new_folders = true;
                }
                Err(e) if !self.refused.contains(&dir) => {
                    watched.failures.push(format!("{}: {e}", dir.display()));
                    self.refused.push(dir);
                }
                Err(_) => {}
            }
        }
        watched
    }

    /// Makes `path` part of the next batch, as if an event had named it.
    pub fn poke(&self, path: PathBuf) {
        let _ = self.poke.send(path);
    }
}

/// The next batch of changed paths: waits for one, then collects until the files have been
/// quiet for [`QUIET`] (or [`MAX_BATCH`] has passed). `None` when the watcher is gone.
pub async fn next_batch(rx: &mut mpsc::UnboundedReceiver<PathBuf>) -> Option<BTreeSet<PathBuf>> {
    let first = rx.recv().await?;
    let mut batch = BTreeSet::from([first]);
    let deadline = tokio::time::Instant::now() + MAX_BATCH;
    loop {
        let quiet_until = (tokio::time::Instant::now() + QUIET).min(deadline);
        match tokio::time::timeout_at(quiet_until, rx.recv()).await {
            Ok(Some(path)) => {
                batch.insert(path);
            }
            Ok(None) | Err(_) => return Some(batch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> WatchSet {
        WatchSet {
            template: PathBuf::from("/app/template.yaml"),
            template_dir: PathBuf::from("/app"),
            env_vars: Some(PathBuf::from("/app/env.json")),
            sources: vec![
                PathBuf::from("/app/api/openapi.yaml"),
                PathBuf::from("/app/hello/schema.json"),
            ],
            code_dirs: vec![
                (PathBuf::from("/app/hello"), vec!["Hello".into()]),
                (
                    PathBuf::from("/app/shared"),
                    vec!["Hello".into(), "Bye".into()],
                ),
                (PathBuf::from("/app/bye"), vec!["Bye".into()]),
            ],
        }
    }

    fn classify(paths: &[&str]) -> Changes {
        set().classify(paths.iter().map(Path::new))
    }

    #[test]
    fn a_handler_edit_restarts_its_function_only() {
        let c = classify(&["/app/hello/app.py"]);
        assert!(!c.template);
        assert_eq!(c.code, BTreeSet::from(["Hello".to_string()]));
    }

    #[test]
    fn a_shared_layer_edit_restarts_every_user() {
        let c = classify(&["/app/shared/python/util.py"]);
        assert_eq!(c.code.len(), 2);
    }

    #[test]
    fn template_and_files_beside_it_reload_the_application() {
        assert!(classify(&["/app/template.yaml"]).template);
        assert!(classify(&["/app/openapi.yaml"]).template);
        assert!(classify(&["/app/env.json"]).template);
        assert!(!classify(&["/app/README.md"]).template);
        assert!(classify(&["/app/README.md"]).is_empty());
    }

    #[test]
    fn files_read_with_the_template_reload_it_wherever_they_are() {
        let s = set();
        assert!(classify(&["/app/api/openapi.yaml"]).template);
        // Only the files read: anything else in their folder is not the application's.
        assert!(classify(&["/app/api/notes.yaml"]).is_empty());
        // One inside a code folder is both.
        let both = classify(&["/app/hello/schema.json"]);
        assert!(both.template);
        assert_eq!(both.code, BTreeSet::from(["Hello".to_string()]));
        let folders = s.folders_where(|_| true);
        assert!(folders.contains(&(PathBuf::from("/app/api"), RecursiveMode::NonRecursive)));
        // Inside a recursively watched code folder: no watch of its own.
        let hello: Vec<_> = folders
            .iter()
            .filter(|(d, _)| d == Path::new("/app/hello"))
            .collect();
        assert_eq!(
            hello,
            [&(PathBuf::from("/app/hello"), RecursiveMode::Recursive)]
        );
        // The same for an `--env-vars` file in a subfolder.
        let mut s = s;
        s.env_vars = Some(PathBuf::from("/app/config/env.json"));
        let config = (PathBuf::from("/app/config"), RecursiveMode::NonRecursive);
        assert!(s.folders_where(|_| true).contains(&config));
    }

    #[test]
    fn the_templates_own_folder_made_again_loads_again() {
        let mut s = set();
        s.template = PathBuf::from("/app/.aws-sam/build/template.yaml");
        s.template_dir = PathBuf::from("/app/.aws-sam/build");
        // `sam build` removed `build` and makes it again: each folder on the way counts.
        assert!(classify_in(&s, "/app/.aws-sam").template);
        assert!(classify_in(&s, "/app/.aws-sam/build").template);
        assert!(!classify_in(&s, "/app/.aws-sam/cache").template);
    }

    #[test]
    fn a_file_named_in_a_folder_still_to_be_made_is_watched_from_above() {
        let mut s = set();
        s.add_sources([PathBuf::from("/app/v2/spec/openapi.yaml")]);
        // Neither `v2` nor `v2/spec` exists yet: the template's folder stands in.
        let made: &[&str] = &["/", "/app", "/app/api", "/app/hello"];
        let folders = s.folders_where(|d| made.iter().any(|m| Path::new(m) == d));
        let flat: Vec<_> = folders
            .iter()
            .filter(|(_, m)| *m == RecursiveMode::NonRecursive)
            .map(|(d, _)| d.to_str().unwrap())
            .collect();
        assert_eq!(flat, ["/app", "/app/api"]);
        // Making a folder on the way loads again (which then watches it), and so does the file.
        assert!(classify_in(&s, "/app/v2").template);
        assert!(classify_in(&s, "/app/v2/spec").template);
        assert!(classify_in(&s, "/app/v2/spec/openapi.yaml").template);
        // Once `v2/spec` exists it is watched itself.
        let made: &[&str] = &["/app", "/app/api", "/app/v2", "/app/v2/spec"];
        let folders = s.folders_where(|d| made.iter().any(|m| Path::new(m) == d));
        let spec = (PathBuf::from("/app/v2/spec"), RecursiveMode::NonRecursive);
        assert!(folders.contains(&spec));
        // Other folders made there are nothing to the application.
        assert!(classify_in(&s, "/app/v3").is_empty());
        assert!(classify_in(&s, "/app/v2/other.yaml").is_empty());
    }

    fn classify_in(s: &WatchSet, path: &str) -> Changes {
        s.classify([Path::new(path)])
    }

    #[test]
    fn a_template_inside_a_code_folder_is_not_that_functions_code() {
        let mut s = set();
        s.code_dirs
            .push((PathBuf::from("/app"), vec!["Root".into()]));
        let c = classify(&["/app/template.yaml"]);
        assert!(c.template);
        let c = s.classify([Path::new("/app/template.yaml"), Path::new("/app/env.json")]);
        assert!(c.template);
        assert!(c.code.is_empty(), "{:?}", c.code);
    }

    #[test]
    fn bytecode_and_scratch_files_are_ignored() {
        assert!(classify(&["/app/hello/__pycache__/app.cpython-311.pyc"]).is_empty());
        assert!(classify(&["/app/hello/.app.py.swp", "/app/hello/app.py~"]).is_empty());
        assert!(classify(&["/app/.git/index"]).is_empty());
    }

    #[test]
    fn nested_code_folders_are_watched_once() {
        let mut s = set();
        s.code_dirs
            .push((PathBuf::from("/app/hello/lib"), vec!["Lib".into()]));
        let folders = s.folders_where(|_| true);
        assert!(
            !folders
                .iter()
                .any(|(d, _)| d == Path::new("/app/hello/lib"))
        );
        assert!(
            folders
                .iter()
                .any(|(d, m)| d == Path::new("/app") && *m == RecursiveMode::NonRecursive)
        );
        // A change in the nested folder still reaches both functions.
        let c = s.classify([Path::new("/app/hello/lib/x.py")]);
        assert_eq!(c.code.len(), 2);
    }

    #[test]
    fn fingerprints_change_with_the_files_only() {
        let dir = std::env::temp_dir().join(format!("lambdagate-print-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("lib/__pycache__")).unwrap();
        std::fs::write(dir.join("app.py"), "x = 1\n").unwrap();
        let first = fingerprint(&dir);
        assert_eq!(first, fingerprint(&dir), "nothing changed");
        std::fs::write(dir.join("lib/__pycache__/app.cpython-311.pyc"), "b").unwrap();
        assert_eq!(first, fingerprint(&dir), "bytecode does not count");
        std::fs::write(dir.join("lib/util.py"), "y = 2\n").unwrap();
        let second = fingerprint(&dir);
        assert_ne!(first, second, "a new file counts");
        std::fs::write(dir.join("app.py"), "x = 22\n").unwrap();
        assert_ne!(second, fingerprint(&dir), "an edit counts");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_burst_of_events_is_one_batch() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for i in 0..1000 {
            tx.send(PathBuf::from(format!("/app/hello/node_modules/x/{i}.js")))
                .unwrap();
        }
        let batch = next_batch(&mut rx).await.unwrap();
        assert_eq!(batch.len(), 1000);
        drop(tx);
        assert!(next_batch(&mut rx).await.is_none());
    }
}
