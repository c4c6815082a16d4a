//! SAM's `Globals` section and how it merges into resources.
//!
//! SAM merges before intrinsics are resolved: mappings merge key by key (the resource wins),
//! lists add up (Globals' items first), and anything else, including an intrinsic function,
//! is replaced by the resource's own value.

use crate::diag::Diags;
use crate::node::{Node, Value};

/// The `Globals` sections lambdagate applies.
#[derive(Debug, Default)]
pub struct Globals {
    /// `Globals.Function`, for `AWS::Serverless::Function`.
    pub function: Option<Node>,
    /// `Globals.Api`, for `AWS::Serverless::Api` and the implicit REST API.
    pub api: Option<Node>,
    /// `Globals.HttpApi`, for `AWS::Serverless::HttpApi` and the implicit HTTP API.
    pub http_api: Option<Node>,
}

/// Sections SAM accepts in `Globals` that do not change what lambdagate serves.
const OTHER_SECTIONS: &[&str] = &[
    "SimpleTable",
    "LayerVersion",
    "StateMachine",
    "CapacityProvider",
];

/// Reads the `Globals` section, reporting sections SAM does not know.
pub fn read(section: Option<&Node>, diags: &mut Diags) -> Globals {
    let mut globals = Globals::default();
    let Some(section) = section else {
        return globals;
    };
    let Some(entries) = section.as_map() else {
        diags.error(
            section.pos,
            "Globals must be a mapping such as {Function: {...}, Api: {...}}",
        );
        return globals;
    };
    for (key, value) in entries {
        if value.as_map().is_none() {
            diags.error(
                value.pos,
                format!("Globals.{} must be a mapping of properties", key.name),
            );
            continue;
        }
        match key.name.as_str() {
            "Function" => globals.function = Some(value.clone()),
            "Api" => globals.api = Some(value.clone()),
            "HttpApi" => globals.http_api = Some(value.clone()),
            other if OTHER_SECTIONS.contains(&other) => {}
            other => {
                diags.error(
                    key.pos,
                    format!(
                        "Globals section `{other}` is not supported by SAM: expected Function, Api, \
                         HttpApi, SimpleTable, LayerVersion or StateMachine"
                    ),
                );
            }
        }
    }
    globals
}

/// `local` with `global` merged in, as SAM merges Globals into a resource's properties.
pub fn merge(global: &Node, local: &Node) -> Node {
    if global.intrinsic().is_some() || local.intrinsic().is_some() {
        return local.clone();
    }
    match (&global.value, &local.value) {
        (Value::Map(g), Value::Map(l)) => {
            let mut out = g.clone();
            for (key, value) in l {
                match out.iter_mut().find(|(k, _)| k.name == key.name) {
                    Some((k, existing)) => {
                        *existing = merge(existing, value);
                        *k = key.clone();
                    }
                    None => out.push((key.clone(), value.clone())),
                }
            }
            Node::new(Value::Map(out), local.pos)
        }
        (Value::Seq(g), Value::Seq(l)) => {
            Node::new(Value::Seq(g.iter().chain(l).cloned().collect()), local.pos)
        }
        _ => local.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::read as parse;

    #[test]
    fn maps_merge_lists_add_scalars_override() {
        let global = parse(
            "Timeout: 30\nEnvironment:\n  Variables:\n    A: g\n    B: g\nLayers: [L1]\nTags: !Ref X\n",
        )
        .unwrap();
        let local =
            parse("Timeout: 5\nEnvironment:\n  Variables:\n    B: l\nLayers: [L2]\nTags: {k: v}\n")
                .unwrap();
        let merged = merge(&global, &local);
        assert_eq!(merged.get("Timeout").unwrap().value, Value::Int(5));
        let vars = merged.get("Environment").unwrap().get("Variables").unwrap();
        assert_eq!(vars.get("A").unwrap().as_str(), Some("g"));
        assert_eq!(vars.get("B").unwrap().as_str(), Some("l"));
        let layers: Vec<_> = merged
            .get("Layers")
            .unwrap()
            .as_seq()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert_eq!(layers, ["L1", "L2"]);
        assert!(merged.get("Tags").unwrap().get("k").is_some());
    }

    #[test]
    fn unknown_section_is_an_error() {
        let mut diags = Diags::new(std::path::Path::new("t.yaml"));
        read(
            Some(&parse("Functions:\n  Timeout: 3\n").unwrap()),
            &mut diags,
        );
        assert!(diags.has_errors());
    }
}
