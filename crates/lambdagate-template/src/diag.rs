//! Collecting diagnostics while loading, so independent errors are all reported at once.

use std::path::{Path, PathBuf};

use lambdagate_model::SourceLocation;

use crate::node::Pos;
use crate::{Diagnostic, LoadFailure, Severity};

/// Marks a failure that has already been reported as a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reported;

/// The result of a step that reports its own errors.
pub type R<T> = Result<T, Reported>;

/// The diagnostics of one template file.
#[derive(Debug)]
pub struct Diags {
    file: PathBuf,
    items: Vec<Diagnostic>,
    /// Files spliced into the template (`AWS::Include`): a node read from one carries the
    /// file's tag in the high bits of its line (see [`Diags::tag_file`]).
    included: Vec<PathBuf>,
    /// Every file read besides the template, absolute, whether or not it could be read: a
    /// missing or broken one is watched too, so that fixing it reloads.
    sources: Vec<PathBuf>,
}

/// Lines at or above this carry an included file's tag (`line >> TAG_SHIFT`, 1-based).
const TAG_SHIFT: u32 = 24;

impl Diags {
    /// An empty collection for `file`.
    pub fn new(file: &Path) -> Diags {
        Diags {
            file: file.to_path_buf(),
            items: Vec::new(),
            included: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// The source location of `pos` in this file.
    pub fn location(&self, pos: Pos) -> SourceLocation {
        let tag = pos.line >> TAG_SHIFT;
        if tag > 0
            && let Some(file) = self.included.get(tag as usize - 1)
        {
            return SourceLocation {
                file: file.clone(),
                line: pos.line & ((1 << TAG_SHIFT) - 1),
                column: pos.column,
            };
        }
        SourceLocation {
            file: self.file.clone(),
            line: pos.line,
            column: pos.column,
        }
    }

    /// Registers a file whose nodes are spliced into the template and returns the bits to
    /// add to their lines, so diagnostics about them name that file and its own line.
    /// `None` when too many files are included to tell apart (they then name the template).
    pub fn tag_file(&mut self, file: PathBuf) -> Option<u32> {
        if self.included.len() >= 250 {
            return None;
        }
        self.included.push(file);
        Some((self.included.len() as u32) << TAG_SHIFT)
    }

    /// Reads a file the template refers to, by its absolute path, and remembers it as one of
    /// the application's sources (see [`Diags::take_sources`]).
    pub fn read_source(&mut self, path: &Path) -> std::io::Result<String> {
        self.add_sources([path.to_path_buf()]);
        std::fs::read_to_string(path)
    }

    /// Remembers files read for this template elsewhere (a nested stack's own sources).
    pub fn add_sources(&mut self, paths: impl IntoIterator<Item = PathBuf>) {
        for path in paths {
            if !self.sources.contains(&path) {
                self.sources.push(path);
            }
        }
    }

    /// The files read besides the template, in the order first read.
    pub fn take_sources(&mut self) -> Vec<PathBuf> {
        std::mem::take(&mut self.sources)
    }

    /// Adds diagnostics found elsewhere (a nested stack's template), keeping their locations.
    pub fn extend(&mut self, items: impl IntoIterator<Item = Diagnostic>) {
        for item in items {
            if !self.items.contains(&item) {
                self.items.push(item);
            }
        }
    }

    /// The file diagnostics refer to now, as the user named it.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Makes later diagnostics and locations refer to `file` (a document the template names,
    /// such as a `DefinitionUri`), returning the file they referred to before.
    pub fn switch_file(&mut self, file: PathBuf) -> PathBuf {
        std::mem::replace(&mut self.file, file)
    }

    /// Records an error and returns the marker to propagate.
    pub fn error(&mut self, pos: Pos, message: impl Into<String>) -> Reported {
        self.push(Severity::Error, pos, message.into());
        Reported
    }

    /// Records a warning.
    pub fn warn(&mut self, pos: Pos, message: impl Into<String>) {
        self.push(Severity::Warning, pos, message.into());
    }

    /// Records a warning at a location found earlier, in whichever file it names.
    pub fn warn_at(&mut self, location: &SourceLocation, message: impl Into<String>) {
        let file = self.switch_file(location.file.clone());
        let pos = Pos {
            line: location.line,
            column: location.column,
        };
        self.warn(pos, message);
        self.switch_file(file);
    }

    fn push(&mut self, severity: Severity, pos: Pos, message: String) {
        let diagnostic = Diagnostic {
            severity,
            location: self.location(pos),
            message,
        };
        // The same mistake reached twice (say, a bad Ref resolved for two purposes) is one error.
        if !self.items.contains(&diagnostic) {
            self.items.push(diagnostic);
        }
    }

    /// A mark for [`Diags::demote_since`]: how many diagnostics are recorded so far.
    pub fn mark(&self) -> usize {
        self.items.len()
    }

    /// Turns the errors recorded since `mark` into warnings that end with `note`: for a part
    /// of the template that serving can do without (one raw API method, say), which `validate`
    /// still reports as errors.
    pub fn demote_since(&mut self, mark: usize, note: &str) {
        for item in self.items.iter_mut().skip(mark) {
            if item.severity == Severity::Error {
                item.severity = Severity::Warning;
                item.message.push_str(note);
            }
        }
    }

    /// Drops what was recorded since `mark`: for a second look at values whose problems were
    /// reported the first time.
    pub fn forget_since(&mut self, mark: usize) {
        self.items.truncate(mark);
    }

    /// True when an error has been recorded since `mark` (see [`Diags::mark`]).
    pub fn has_errors_since(&self, mark: usize) -> bool {
        self.items
            .iter()
            .skip(mark)
            .any(|d| d.severity == Severity::Error)
    }

    /// True when an error has been recorded.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// Why the load failed: everything recorded and every file read on the way.
    pub fn into_failure(mut self) -> LoadFailure {
        let sources = self.take_sources();
        LoadFailure {
            diagnostics: self.into_sorted(),
            sources,
        }
    }

    /// Everything recorded, in source order (line, then column), errors and warnings; those
    /// of other files (included documents) follow the template's, file by file.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        let main = self.file.clone();
        self.items.sort_by_key(|d| {
            let other = d.location.file != main;
            (
                other,
                other.then(|| d.location.file.clone()),
                d.location.line,
                d.location.column,
            )
        });
        self.items
    }
}
