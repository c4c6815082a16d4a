//! Hot reload for `start-api`: watches the application's files and, after each quiet batch of
//! changes, restarts the functions whose code changed or loads the template again and swaps the
//! new configuration in at the gateway's swap point.
//!
//! Requests in flight finish on the configuration they started with; functions that did not
//! change keep their warm instances; a template that no longer loads leaves the previous
//! version serving, and the next save tries again.

use std::path::PathBuf;
use std::sync::Arc;

use lambdagate_gateway::{Addressing, CompiledApp, Gateway, Snapshot};
use lambdagate_lambda::{FunctionService, ReloadSummary};
use lambdagate_model::Application;

use crate::cli::TemplateArgs;
use crate::watch::{Changes, FileWatcher, WatchSet, Watched, next_batch};

/// Everything a reload needs to build the next configuration as startup built the first.
pub struct Reloader {
    /// The template flags, to load the template again the same way.
    pub template: TemplateArgs,
    /// `--env-vars`, read again when it changes.
    pub env_vars: Option<PathBuf>,
    /// How routes are addressed.
    pub addressing: Addressing,
    /// The canary seed.
    pub seed: Option<u64>,
    /// The only functions served (`start-lambda FUNCTION…`); empty: all.
    pub functions: Vec<String>,
    /// The function service to reload.
    pub service: Arc<FunctionService>,
    /// The gateway to swap the new configuration into (`None` for `start-lambda`, which has
    /// only functions).
    pub gateway: Option<Arc<Gateway>>,
}

impl Reloader {
    /// Watches until the process ends. Prints why when files cannot be watched.
    pub async fn run(self, mut app: Arc<Application>) {
        let (mut watcher, mut rx) = match FileWatcher::start() {
            Ok(started) => started,
            Err(e) => {
                eprintln!("warning: cannot watch files ({e}); changes need a restart");
                return;
            }
        };
        let template_path = app.template.clone();
        let mut set = WatchSet::of(&app, &template_path, self.env_vars.as_deref());
        say_refused(watcher.watch(&set));
        let mut code = CodeState::default();
        code.refresh(&app, None).await;
        while let Some(batch) = next_batch(&mut rx).await {
            let mut changes = set.classify(batch.iter().map(PathBuf::as_path));
            // Events are hints: a function restarts only when its files really differ.
            changes.code = code.refresh(&app, Some(&changes.code)).await;
            if changes.is_empty() {
                continue;
            }
            if !changes.template {
                self.reload_code(&app, &changes).await;
                continue;
            }
            let next = match self.reload_template(&app, &changes).await {
                Ok(next) => next,
                Err(files) => {
                    // A file the template newly reads may be where the error is, or missing,
                    // and may sit where nothing is watched yet: watch it, so that fixing or
                    // creating it loads again. Watched again even when no file is new: a
                    // folder made since may now be watched instead of its parent.
                    set.add_sources(files);
                    // A folder watched only now (the template's own, made again by `sam
                    // build` or `serverless package` while this load found it missing) may
                    // hold what was written before its watch: look once more.
                    if say_refused(watcher.watch(&set)) {
                        watcher.poke(set.template().to_path_buf());
                    }
                    // The template stays as it was, but code saved in the same batch still
                    // counts.
                    if !changes.code.is_empty() {
                        self.reload_code(&app, &changes).await;
                    }
                    continue;
                }
            };
            app = next;
            // Functions the new template adds or moves get their fingerprints now.
            code.refresh(&app, None).await;
            set = WatchSet::of(&app, &template_path, self.env_vars.as_deref());
            say_refused(watcher.watch(&set));
        }
    }

    /// Restarts the functions whose code changed, on the application as it is.
    async fn reload_code(&self, app: &Arc<Application>, changes: &Changes) {
        // New code may import SDK packages the old did not.
        crate::service::prepare_sdks(app).await;
        let summary = self
            .service
            .reload(app.clone(), None, &|f| changes.code.contains(&f.logical_id));
        announce("code changed", &summary, None);
    }

    /// Loads and compiles the template again and swaps it in. When it does not load (having
    /// said why), the previous version keeps serving and the answer is the files the errors
    /// are in.
    async fn reload_template(
        &self,
        current: &Arc<Application>,
        changes: &Changes,
    ) -> Result<Arc<Application>, Vec<PathBuf>> {
        let template = self.template.clone();
        // Loading reads files and may unpack archives: off the request threads.
        let loaded =
            tokio::task::spawn_blocking(move || crate::load::application_or_failure(&template))
                .await;
        let app = match loaded {
            Ok(Ok(mut app)) => {
                if let Err(e) = crate::load::keep_functions(&mut app, &self.functions) {
                    eprintln!("{e:#}");
                    eprintln!("reload failed: still serving the previous version");
                    return Err(Vec::new());
                }
                Arc::new(app)
            }
            Ok(Err(failure)) => {
                eprintln!("{:#}", failure.error);
                eprintln!("reload failed: still serving the previous version");
                return Err(failure.files);
            }
            Err(e) => {
                eprintln!("reload failed ({e}): still serving the previous version");
                return Err(Vec::new());
            }
        };
        let compiled = match &self.gateway {
            None => None,
            Some(_) => match CompiledApp::compile(&app, self.addressing) {
                Ok(compiled) => Some(compiled),
                Err(e) => {
                    eprintln!("{}: {e}", app.template.display());
                    eprintln!("reload failed: still serving the previous version");
                    return Err(Vec::new());
                }
            },
        };
        for warning in compiled.iter().flat_map(CompiledApp::warnings) {
            eprintln!("warning: {warning}");
        }
        let env_overrides = match &self.env_vars {
            Some(path) => match crate::service::env_overrides(path) {
                Ok(map) => Some(map),
                Err(e) => {
                    eprintln!("{e:#}");
                    eprintln!("reload failed: still serving the previous version");
                    return Err(Vec::new());
                }
            },
            None => None,
        };
        crate::service::prepare_sdks(&app).await;
        // Functions first: the new snapshot's routes may name functions only it has.
        let summary = self.service.reload(app.clone(), env_overrides, &|f| {
            changes.code.contains(&f.logical_id)
        });
        let mut routes = None;
        if let (Some(gateway), Some(compiled)) = (&self.gateway, compiled) {
            let before = gateway.snapshot().app.route_rows().len();
            let after = compiled.route_rows().len();
            gateway.swap(Snapshot::new(compiled, self.seed));
            routes = (before != after).then(|| format!("routes {before} -> {after}"));
        }
        announce(
            &format!("reloaded {}", file_name(&current.template)),
            &summary,
            routes,
        );
        Ok(app)
    }
}

/// The fingerprints of the functions' code and layer folders, as last seen.
#[derive(Default)]
struct CodeState {
    by_function: std::collections::HashMap<String, u64>,
}

impl CodeState {
    /// Fingerprints the functions named in `candidates` (all when `None`) and returns those
    /// whose fingerprint changed since the last look.
    async fn refresh(
        &mut self,
        app: &Application,
        candidates: Option<&std::collections::BTreeSet<String>>,
    ) -> std::collections::BTreeSet<String> {
        let folders: Vec<(String, Vec<PathBuf>)> = app
            .functions
            .iter()
            .filter(|f| candidates.is_none_or(|c| c.contains(&f.logical_id)))
            .map(|f| {
                let dirs = std::iter::once(f.code_dir.clone())
                    .chain(f.layers.iter().cloned())
                    .collect();
                (f.logical_id.clone(), dirs)
            })
            .collect();
        // Walking folders reads the disk: off the request threads.
        let prints = tokio::task::spawn_blocking(move || {
            folders
                .into_iter()
                .map(|(id, dirs)| {
                    let print = dirs.iter().fold(0u64, |acc, d| {
                        acc.rotate_left(7) ^ crate::watch::fingerprint(d)
                    });
                    (id, print)
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        let mut changed = std::collections::BTreeSet::new();
        for (id, print) in prints {
            if self.by_function.insert(id.clone(), print) != Some(print) && candidates.is_some() {
                changed.insert(id);
            }
        }
        changed
    }
}

/// Says which folders cannot be watched; returns whether a folder is watched that was not.
fn say_refused(watched: Watched) -> bool {
    for failure in watched.failures {
        eprintln!("warning: cannot watch {failure}; changes there need a restart");
    }
    watched.new_folders
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// One line per reload, saying what changed.
fn announce(what: &str, summary: &ReloadSummary, routes: Option<String>) {
    let mut parts = Vec::new();
    if let Some(routes) = routes {
        parts.push(routes);
    }
    if !summary.restarted.is_empty() {
        parts.push(format!("restarted {}", summary.restarted.join(", ")));
    }
    if !summary.added.is_empty() {
        parts.push(format!("added {}", summary.added.join(", ")));
    }
    if !summary.removed.is_empty() {
        parts.push(format!("removed {}", summary.removed.join(", ")));
    }
    if !summary.changed() {
        parts.push("no function restarted".to_string());
    }
    eprintln!("Reload: {what}: {}", parts.join("; "));
}
