//! Custom domain names and their API mappings, gathered from SAM `Domain` properties and raw
//! `DomainName` / `BasePathMapping` / `ApiMapping` resources, then checked as a deploy would.

use lambdagate_model::{Api, ApiMapping, DomainName, SourceLocation};

use crate::diag::Diags;
use crate::node::Pos;

/// The domains of a template while it is being loaded.
#[derive(Debug, Default)]
pub struct Domains {
    list: Vec<DomainName>,
}

/// A position from a source location of this file (diagnostics take positions).
fn pos(source: &SourceLocation) -> Pos {
    Pos {
        line: source.line,
        column: source.column,
    }
}

/// A base path as a mapping stores it: no slashes at either end; `/`, `(none)` and nothing
/// are the root mapping (empty).
pub fn base_path(path: Option<&str>) -> String {
    match path.map(|p| p.trim_matches('/')) {
        None | Some("(none)") => String::new(),
        Some(p) => p.to_string(),
    }
}

impl Domains {
    /// Declares a domain (a `DomainName` resource or a SAM `Domain`); the first declaration
    /// names where it is defined. Host names are case-insensitive, so the name is kept as
    /// written and compared without case.
    pub fn declare(&mut self, name: &str, source: SourceLocation) -> &mut DomainName {
        let index = match self
            .list
            .iter()
            .position(|d| d.domain_name.eq_ignore_ascii_case(name))
        {
            Some(i) => i,
            None => {
                self.list.push(DomainName {
                    domain_name: name.to_string(),
                    mappings: Vec::new(),
                    source,
                });
                self.list.len() - 1
            }
        };
        &mut self.list[index]
    }

    /// Adds a mapping under `domain` (declaring the domain at the mapping when no resource of
    /// the template declares it: the domain may live in another stack).
    pub fn map(&mut self, domain: &str, mapping: ApiMapping) {
        let source = mapping.source.clone();
        self.declare(domain, source).mappings.push(mapping);
    }

    /// Checks every mapping (its stage exists on its API; no base path mapped twice on one
    /// domain, reported at both places) and returns the domains.
    pub fn finish(self, d: &mut Diags, apis: &[Api]) -> Vec<DomainName> {
        for domain in &self.list {
            for (i, mapping) in domain.mappings.iter().enumerate() {
                if let Some(api) = apis.iter().find(|a| a.logical_id == mapping.api)
                    && api.stage(&mapping.stage).is_none()
                {
                    let stages: Vec<&str> = api.stages.iter().map(|s| s.name.as_str()).collect();
                    d.error(
                        pos(&mapping.source),
                        format!(
                            "domain `{}`: the mapping names stage `{}` of API `{}`, which has no \
                             such stage (its stages: {})",
                            domain.domain_name,
                            mapping.stage,
                            api.logical_id,
                            stages.join(", ")
                        ),
                    );
                }
                let others: Vec<String> = domain
                    .mappings
                    .iter()
                    .enumerate()
                    .filter(|(j, m)| *j != i && m.base_path == mapping.base_path)
                    .map(|(_, m)| m.source.to_string())
                    .collect();
                if !others.is_empty() {
                    let shown = if mapping.base_path.is_empty() {
                        "(none)"
                    } else {
                        mapping.base_path.as_str()
                    };
                    d.error(
                        pos(&mapping.source),
                        format!(
                            "domain `{}`: base path `{shown}` is mapped twice: also at {}",
                            domain.domain_name,
                            others.join(", ")
                        ),
                    );
                }
            }
        }
        self.list
    }
}
