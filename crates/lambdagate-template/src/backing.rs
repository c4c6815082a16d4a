//! The template's tables, queues, topics and buckets, with the physical names functions see,
//! for creating them on a local endpoint (`--aws-endpoint`).
//!
//! Nothing here is served, so nothing here can stop a load: a resource whose properties or
//! name do not resolve is left out (its problems were reported when the template was read).

use lambdagate_model::resources::{BackingKind, BackingResource};

use crate::eval::{Evaluator, Resource};
use crate::node::Value;

/// The backing resources among `resources`, in template order.
pub fn read(ev: &mut Evaluator<'_>, resources: &[Resource]) -> Vec<BackingResource> {
    let mut out = Vec::new();
    for (idx, resource) in resources.iter().enumerate() {
        let Some(kind) = BackingKind::of(&resource.kind) else {
            continue;
        };
        let mark = ev.diags.mark();
        let tolerant = ev.tolerant;
        ev.tolerant = true;
        let included = ev.is_included(idx).unwrap_or(false);
        let properties = if included {
            ev.resolve(&resource.properties).ok().flatten()
        } else {
            None
        };
        let name = if included {
            ev.reference(&resource.logical_id, resource.pos)
                .ok()
                .flatten()
                .and_then(|n| match n.value {
                    Value::Str(s) => Some(s),
                    _ => None,
                })
        } else {
            None
        };
        ev.tolerant = tolerant;
        let clean = !ev.diags.has_errors_since(mark);
        ev.diags.forget_since(mark);
        let (Some(name), true) = (name, clean) else {
            continue;
        };
        // A queue's `Ref` is its URL and a topic's its ARN; created by name.
        let name = match kind {
            BackingKind::Queue => name.rsplit('/').next().unwrap_or(&name).to_string(),
            BackingKind::Topic => name.rsplit(':').next().unwrap_or(&name).to_string(),
            _ => name,
        };
        out.push(BackingResource {
            logical_id: resource.logical_id.clone(),
            kind,
            name,
            properties: properties.map_or(serde_json::Value::Null, |p| p.to_json()),
            source: ev.diags.location(resource.pos),
        });
    }
    out
}
