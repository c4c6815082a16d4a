//! Raw CloudFormation API keys and usage plans: `AWS::ApiGateway::ApiKey` (`Value`, `Enabled`,
//! `StageKeys`), `AWS::ApiGateway::UsagePlan` (`ApiStages` with per-method `Throttle`,
//! `Throttle`, `Quota`) and `AWS::ApiGateway::UsagePlanKey`, into the model's keys and plans.
//! They name APIs of the template (SAM or raw) after stages are attached, so a plan's stage
//! can be checked.

use std::collections::HashMap;

use lambdagate_model::{Api, ApiKey, ApiKind, UsagePlan, UsagePlanStage};

use crate::cfn::warn_unloaded;
use crate::cfn_rest::{api_of, of_kind, ref_value, tolerate};
use crate::diag::{Diags, R, Reported};
use crate::eval::{Evaluator, Resource};
use crate::node::{Node, Pos};
use crate::props;
use crate::sam::auth::{plan_quota, plan_throttle};

/// Adds the template's raw API keys and usage plans to `keys` and `plans`.
pub fn build(
    ev: &mut Evaluator<'_>,
    included: &[(&Resource, &Node)],
    apis: &[Api],
    keys: &mut Vec<ApiKey>,
    plans: &mut Vec<UsagePlan>,
) {
    let of = |kind: &str| of_kind(included, kind);
    // Ref value → index in `keys` / `plans`.
    let mut key_ids: HashMap<String, usize> = HashMap::new();
    for (resource, props) in of("AWS::ApiGateway::ApiKey") {
        let owner = format!("API key `{}`", resource.logical_id);
        let mark = ev.diags.mark();
        let key = api_key(&mut ev.diags, apis, resource, props, &owner);
        if let Some(key) = tolerate(ev, mark, key, &owner) {
            if let Some(id) = ref_value(ev, &resource.logical_id, resource.pos) {
                key_ids.insert(id, keys.len());
            }
            keys.push(key);
        }
    }
    let mut plan_ids: HashMap<String, usize> = HashMap::new();
    for (resource, props) in of("AWS::ApiGateway::UsagePlan") {
        let owner = format!("usage plan `{}`", resource.logical_id);
        let mark = ev.diags.mark();
        let plan = usage_plan(&mut ev.diags, apis, resource, props, &owner);
        if let Some(plan) = tolerate(ev, mark, plan, &owner) {
            if let Some(id) = ref_value(ev, &resource.logical_id, resource.pos) {
                plan_ids.insert(id, plans.len());
            }
            plans.push(plan);
        }
    }
    for (resource, props) in of("AWS::ApiGateway::UsagePlanKey") {
        let owner = format!("usage plan key `{}`", resource.logical_id);
        let mark = ev.diags.mark();
        let found = plan_key(
            &mut ev.diags,
            &key_ids,
            &plan_ids,
            resource.pos,
            props,
            &owner,
        );
        if let Some((key, plan)) = tolerate(ev, mark, found, &owner) {
            let key = keys[key].logical_id.clone();
            if !plans[plan].keys.contains(&key) {
                plans[plan].keys.push(key);
            }
        }
    }
}

/// The stage `stage` of API `index`; an API with no stage yet is served as one stage, so any
/// name is taken there.
fn check_stage(d: &mut Diags, api: &Api, stage: &str, at: Pos, owner: &str) -> R<()> {
    if api.stages.is_empty() || api.stage(stage).is_some() {
        return Ok(());
    }
    let names: Vec<&str> = api.stages.iter().map(|s| s.name.as_str()).collect();
    Err(d.error(
        at,
        format!(
            "{owner}: `{stage}` is not a stage of API `{}` (its stages: {})",
            api.logical_id,
            names.join(", ")
        ),
    ))
}

fn api_key(
    d: &mut Diags,
    apis: &[Api],
    resource: &Resource,
    props: &Node,
    owner: &str,
) -> R<ApiKey> {
    warn_unloaded(
        d,
        props,
        &[
            "Name",
            "Value",
            "Enabled",
            "StageKeys",
            "Description",
            "GenerateDistinctId",
            "CustomerId",
        ],
        owner,
    );
    let name = props::text(d, props, "Name", owner);
    let value = props::text(d, props, "Value", owner);
    let enabled = props::boolean(d, props, "Enabled", owner);
    let (name, value, enabled) = (name?, value?, enabled?);
    if let Some(v) = &value
        && v.len() < 20
    {
        return Err(d.error(
            props.get("Value").map_or(resource.pos, |n| n.pos),
            format!("{owner}: Value must be at least 20 characters long"),
        ));
    }
    let mut stage_keys = Vec::new();
    if let Some(list) = props.get("StageKeys") {
        let Some(items) = list.as_seq() else {
            return Err(d.error(list.pos, format!("{owner}: StageKeys must be a list")));
        };
        for item in items {
            let owner = format!("{owner}: StageKeys");
            let index = api_of(d, apis, item, "RestApiId", ApiKind::Rest, &owner, item.pos)?;
            let Some(stage) = props::text(d, item, "StageName", &owner)? else {
                return Err(d.error(item.pos, format!("{owner}: each entry needs a StageName")));
            };
            let at = item.get("StageName").map_or(item.pos, |n| n.pos);
            check_stage(d, &apis[index], &stage, at, &owner)?;
            stage_keys.push((apis[index].logical_id.clone(), stage));
        }
    }
    Ok(ApiKey {
        logical_id: resource.logical_id.clone(),
        name,
        value,
        // CloudFormation creates keys disabled unless told otherwise.
        enabled: enabled.unwrap_or(false),
        stage_keys,
        source: d.location(resource.pos),
    })
}

fn usage_plan(
    d: &mut Diags,
    apis: &[Api],
    resource: &Resource,
    props: &Node,
    owner: &str,
) -> R<UsagePlan> {
    warn_unloaded(
        d,
        props,
        &[
            "UsagePlanName",
            "ApiStages",
            "Throttle",
            "Quota",
            "Description",
        ],
        owner,
    );
    let name = props::text(d, props, "UsagePlanName", owner)?;
    let throttle = match props.get("Throttle") {
        Some(t) => Some(plan_throttle(d, t, owner)?),
        None => None,
    };
    let quota = match props.get("Quota") {
        Some(q) => Some(plan_quota(d, q, owner)?),
        None => None,
    };
    let mut api_stages = Vec::new();
    if let Some(list) = props.get("ApiStages") {
        let owner = format!("{owner}: ApiStages");
        let Some(items) = list.as_seq() else {
            return Err(d.error(list.pos, format!("{owner} must be a list")));
        };
        let mut failed = false;
        for item in items {
            match plan_stage(d, apis, item, &owner) {
                Ok(stage) => api_stages.push(stage),
                Err(Reported) => failed = true,
            }
        }
        if failed {
            return Err(Reported);
        }
    }
    Ok(UsagePlan {
        logical_id: resource.logical_id.clone(),
        name,
        api_stages,
        throttle,
        quota,
        keys: Vec::new(),
        source: d.location(resource.pos),
    })
}

/// One `ApiStages` entry: `ApiId`, `Stage`, and `Throttle` by `/path/METHOD`.
fn plan_stage(d: &mut Diags, apis: &[Api], item: &Node, owner: &str) -> R<UsagePlanStage> {
    warn_unloaded(d, item, &["ApiId", "Stage", "Throttle"], owner);
    let index = api_of(d, apis, item, "ApiId", ApiKind::Rest, owner, item.pos)?;
    let Some(stage) = props::text(d, item, "Stage", owner)? else {
        return Err(d.error(item.pos, format!("{owner}: each entry needs a Stage")));
    };
    let at = item.get("Stage").map_or(item.pos, |n| n.pos);
    check_stage(d, &apis[index], &stage, at, owner)?;
    let mut throttle = Vec::new();
    for (selector, value) in props::map(d, item, "Throttle", owner)?.unwrap_or_default() {
        // `/items/{id}/GET`: a resource path, then the method.
        let valid = selector
            .name
            .rsplit_once('/')
            .is_some_and(|(path, method)| path.starts_with('/') && !method.is_empty());
        if !valid {
            return Err(d.error(
                selector.pos,
                format!(
                    "{owner}: Throttle key `{}` must be a resource path and a method, such as \
                     `/items/GET`",
                    selector.name
                ),
            ));
        }
        let limits = plan_throttle(d, value, &format!("{owner}: {}", selector.name))?;
        throttle.push((selector.name.clone(), limits));
    }
    Ok(UsagePlanStage {
        api: apis[index].logical_id.clone(),
        stage,
        throttle,
    })
}

/// `KeyId`, `KeyType: API_KEY`, `UsagePlanId` as (key index, plan index).
fn plan_key(
    d: &mut Diags,
    keys: &HashMap<String, usize>,
    plans: &HashMap<String, usize>,
    pos: Pos,
    props: &Node,
    owner: &str,
) -> R<(usize, usize)> {
    warn_unloaded(d, props, &["KeyId", "KeyType", "UsagePlanId"], owner);
    let at = |key: &str| props.get(key).map_or(pos, |n| n.pos);
    match props::text(d, props, "KeyType", owner)?.as_deref() {
        Some("API_KEY") => {}
        _ => {
            return Err(d.error(at("KeyType"), format!("{owner}: KeyType must be API_KEY")));
        }
    }
    let key = props::text(d, props, "KeyId", owner)?;
    let plan = props::text(d, props, "UsagePlanId", owner)?;
    let (Some(key), Some(plan)) = (key, plan) else {
        return Err(d.error(pos, format!("{owner} needs a KeyId and a UsagePlanId")));
    };
    let Some(&key) = keys.get(&key) else {
        return Err(d.error(
            at("KeyId"),
            format!("{owner}: KeyId `{key}` is not an AWS::ApiGateway::ApiKey of this template"),
        ));
    };
    let Some(&plan) = plans.get(&plan) else {
        return Err(d.error(
            at("UsagePlanId"),
            format!(
                "{owner}: UsagePlanId `{plan}` is not an AWS::ApiGateway::UsagePlan of this template"
            ),
        ));
    };
    Ok((key, plan))
}
