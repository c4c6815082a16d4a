//! Custom domain names and their API mappings, compiled into the table selection reads.

use std::collections::HashMap;

use lambdagate_model::Application;

use super::{ApiRuntime, CompileError, DomainMount};

/// Custom domains (lower-case) → their mappings.
pub(crate) type DomainTable = HashMap<String, Vec<DomainMount>>;

pub(super) fn compile_domains(
    app: &Application,
    apis: &[ApiRuntime],
) -> Result<(DomainTable, Vec<String>), CompileError> {
    let mut domains: HashMap<String, Vec<DomainMount>> = HashMap::new();
    let mut rows = Vec::new();
    for domain in &app.domains {
        let host = domain.domain_name.to_ascii_lowercase();
        let mounts = domains.entry(host.clone()).or_default();
        for mapping in &domain.mappings {
            let bad = |message: String| CompileError::BadMapping {
                location: mapping.source.to_string(),
                message,
            };
            let Some(api_index) = app.apis.iter().position(|a| a.logical_id == mapping.api) else {
                return Err(bad(format!(
                    "{}: API mapping names API `{}`, which is not in the template",
                    domain.domain_name, mapping.api
                )));
            };
            let api = &apis[api_index];
            let Some(stage) = api.stages.iter().position(|s| s.name == mapping.stage) else {
                return Err(bad(format!(
                    "{}: API mapping names stage `{}`, which API {} does not have (it has {})",
                    domain.domain_name,
                    mapping.stage,
                    api.logical_id,
                    api.stages
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            let base_path = mapping.base_path.trim_matches('/').to_string();
            if mounts.iter().any(|m| m.base_path == base_path) {
                return Err(bad(format!(
                    "{}: base path `{}` is mapped twice",
                    domain.domain_name,
                    if base_path.is_empty() {
                        "(none)"
                    } else {
                        &base_path
                    }
                )));
            }
            rows.push(format!(
                "{}/{} -> {} ({})",
                domain.domain_name, base_path, api.logical_id, mapping.stage
            ));
            mounts.push(DomainMount {
                api: api_index,
                stage,
                segments: base_path
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                base_path,
            });
        }
        // The longest matching base path wins (spec §10.2).
        mounts.sort_by_key(|m| std::cmp::Reverse(m.segments.len()));
    }
    Ok((domains, rows))
}
