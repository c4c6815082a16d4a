//! Resolving a template's values: parameters, conditions, `Ref`, `Fn::GetAtt` and the other
//! intrinsic functions, with circular references detected.
//!
//! Resolution is lazy: a resource's name is worked out the first time something refers to it,
//! and a stack of what is being resolved turns a cycle into a diagnostic instead of a hang.

use std::collections::HashMap;

use crate::diag::{Diags, R, Reported};
use crate::node::{Node, Pos, Value};
use crate::refs;

/// The pseudo parameters' inputs: where the stack is deployed.
#[derive(Debug, Clone)]
pub struct Env {
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::AccountId`.
    pub account_id: String,
    /// `AWS::StackName`.
    pub stack_name: String,
}

impl Env {
    /// `AWS::Partition` for the region.
    pub fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    /// `AWS::URLSuffix` for the region.
    pub fn url_suffix(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        }
    }
}

/// One resource of the template (or one SAM creates implicitly), before it is transformed.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Logical id.
    pub logical_id: String,
    /// `Type`, e.g. `AWS::Serverless::Function`.
    pub kind: String,
    /// `Properties` with Globals merged in (an empty mapping when absent).
    pub properties: Node,
    /// `Condition`, with its position.
    pub condition: Option<(String, Pos)>,
    /// Where the resource's logical id is written (the first event, for implicit APIs).
    pub pos: Pos,
    /// True for resources SAM creates without the template naming them (`ServerlessRestApi`).
    pub implicit: bool,
    /// The resource's `Metadata` (CDK's `aws:asset:path` names a function's local code).
    pub metadata: Option<Node>,
}

/// Resolves values against one template.
pub struct Evaluator<'t> {
    /// Region, account and stack name.
    pub env: Env,
    /// Diagnostics found so far.
    pub diags: Diags,
    pub(crate) params: HashMap<String, Node>,
    pub(crate) mappings: Option<&'t Node>,
    conditions: Option<&'t Node>,
    resources: &'t [Resource],
    index: HashMap<&'t str, usize>,
    condition_values: HashMap<String, bool>,
    resolving: Vec<String>,
    names: HashMap<usize, Option<String>>,
    /// Set while resolving a value that nothing served depends on (see `serving.rs`): a
    /// reference to something undeclared is then a warning and resolves to a stand-in.
    pub(crate) tolerant: bool,
    /// Checking as a deploy would (`lambdagate validate`): never tolerant.
    pub(crate) strict: bool,
    /// How many stand-ins have been handed out, so a name resolved with one is not cached
    /// for a later use that serving depends on.
    stand_ins: usize,
    /// Nested stacks: where children are found and those loaded so far (see `nested.rs`).
    pub(crate) nested: crate::nested::State,
    /// True when `Transform` lists `AWS::LanguageExtensions` (`Fn::Length` and the others
    /// need it).
    pub(crate) language_extensions: bool,
}

impl<'t> Evaluator<'t> {
    /// An evaluator over resolved parameters, the template's sections and its resources.
    pub fn new(
        env: Env,
        diags: Diags,
        params: HashMap<String, Node>,
        mappings: Option<&'t Node>,
        conditions: Option<&'t Node>,
        resources: &'t [Resource],
    ) -> Evaluator<'t> {
        let index = resources
            .iter()
            .enumerate()
            .map(|(i, r)| (r.logical_id.as_str(), i))
            .collect();
        Evaluator {
            env,
            diags,
            params,
            mappings,
            conditions,
            resources,
            index,
            condition_values: HashMap::new(),
            resolving: Vec::new(),
            names: HashMap::new(),
            tolerant: false,
            strict: false,
            stand_ins: 0,
            nested: crate::nested::State::default(),
            language_extensions: false,
        }
    }

    /// Resolves every intrinsic in `node`. `Ok(None)` means `AWS::NoValue`: leave the value out.
    /// Errors in independent parts of the node are all reported.
    pub fn resolve(&mut self, node: &Node) -> R<Option<Node>> {
        if let Some((name, arg)) = node.intrinsic() {
            return self.call(name, arg, node.pos);
        }
        match &node.value {
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut failed = false;
                for item in items {
                    match self.resolve(item) {
                        Ok(Some(v)) => out.push(v),
                        Ok(None) => {}
                        Err(Reported) => failed = true,
                    }
                }
                if failed {
                    return Err(Reported);
                }
                Ok(Some(Node::new(Value::Seq(out), node.pos)))
            }
            Value::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                let mut failed = false;
                for (key, value) in entries {
                    match self.resolve(value) {
                        Ok(Some(v)) => out.push((key.clone(), v)),
                        Ok(None) => {}
                        Err(Reported) => failed = true,
                    }
                }
                if failed {
                    return Err(Reported);
                }
                Ok(Some(Node::new(Value::Map(out), node.pos)))
            }
            _ => Ok(Some(node.clone())),
        }
    }

    /// Resolves `node` where a value is required (`AWS::NoValue` is an error there).
    pub fn resolve_value(&mut self, node: &Node, what: &str) -> R<Node> {
        match self.resolve(node)? {
            Some(v) => Ok(v),
            None => Err(self
                .diags
                .error(node.pos, format!("{what} cannot be AWS::NoValue here"))),
        }
    }

    /// Resolves `node` to text (strings, numbers and booleans qualify).
    pub fn resolve_text(&mut self, node: &Node, what: &str) -> R<String> {
        let value = self.resolve_value(node, what)?;
        value.scalar_text().ok_or_else(|| {
            self.diags.error(
                node.pos,
                format!("{what} must be a string, not {}", value.kind_name()),
            )
        })
    }

    /// The value of `Ref name`.
    pub fn reference(&mut self, name: &str, pos: Pos) -> R<Option<Node>> {
        if let Some(value) = self.pseudo(name, pos) {
            return Ok(value);
        }
        if let Some(value) = self.params.get(name) {
            if value.value == Value::Null {
                return Err(Reported); // Already reported where the parameter is defined.
            }
            let mut value = value.clone();
            value.pos = pos;
            return Ok(Some(value));
        }
        if let Some(value) = self.sam_member(name, pos)? {
            return Ok(Some(value));
        }
        if let Some(value) = self.sam_generated_stage(name, pos)? {
            return Ok(Some(value));
        }
        let Some(&idx) = self.index.get(name) else {
            let message = format!(
                "Ref to `{name}`: there is no parameter or resource of that name \
                 (nor a pseudo parameter such as AWS::Region)"
            );
            return self.unresolved(pos, message, name.to_string()).map(Some);
        };
        if !self.included_or_tolerated(idx, pos)? {
            return Ok(Some(Node::str(name, pos)));
        }
        let name_value = self.resource_name(idx, pos)?;
        let resource = &self.resources[idx];
        let text = refs::reference(
            &resource.kind,
            &resource.logical_id,
            name_value.as_deref(),
            &self.env,
        );
        Ok(Some(Node::str(text, pos)))
    }

    /// `Ref MyApi.Stage` / `Ref MyApi.Deployment`: SAM's names for the stage and deployment it
    /// generates for a serverless API. The stage yields its name (what `Ref` of a stage gives);
    /// the deployment its logical id without SAM's hash suffix. A function's `.Version` and
    /// `.Alias` are [`Evaluator::sam_function_member`]'s. `None` when `name` is not such a
    /// reference.
    fn sam_member(&mut self, name: &str, pos: Pos) -> R<Option<Node>> {
        let Some((api, member)) = name.rsplit_once('.') else {
            return Ok(None);
        };
        let Some(&idx) = self.index.get(api) else {
            return Ok(None);
        };
        let kind = self.resources[idx].kind.as_str();
        if kind == "AWS::Serverless::Function" {
            return self.sam_function_member(idx, member, pos);
        }
        if kind != "AWS::Serverless::Api" && kind != "AWS::Serverless::HttpApi" {
            return Ok(None);
        }
        self.check_included(idx, pos)?;
        let resource = &self.resources[idx];
        let text = match member {
            "Stage" => match resource.properties.get("StageName").cloned() {
                Some(node) => self.resolve_text(&node, "StageName")?,
                None if kind == "AWS::Serverless::HttpApi" => "$default".to_string(),
                None => "Prod".to_string(),
            },
            "Deployment" => format!("{api}Deployment"),
            _ => return Ok(None),
        };
        Ok(Some(Node::str(text, pos)))
    }

    /// `Ref MyFunction.Version` / `Ref MyFunction.Alias`: the version and alias SAM publishes
    /// for a function with `AutoPublishAlias`, whose `Ref`s are their qualified ARNs (the version
    /// always the first one published, as for `AWS::Lambda::Version`). `None` for a function
    /// without `AutoPublishAlias`, for which SAM makes neither.
    fn sam_function_member(&mut self, idx: usize, member: &str, pos: Pos) -> R<Option<Node>> {
        if member != "Version" && member != "Alias" {
            return Ok(None);
        }
        let Some(alias) = self.resources[idx]
            .properties
            .get("AutoPublishAlias")
            .cloned()
        else {
            return Ok(None);
        };
        self.check_included(idx, pos)?;
        let alias = self.resolve_text(&alias, "AutoPublishAlias")?;
        let name = self.resource_name(idx, pos)?;
        let resource = &self.resources[idx];
        let arn = refs::attribute(
            &resource.kind,
            &resource.logical_id,
            name.as_deref(),
            "Arn",
            &self.env,
        );
        let qualifier = if member == "Version" { "1" } else { &alias };
        Ok(Some(Node::str(format!("{arn}:{qualifier}"), pos)))
    }

    /// `Ref ServerlessRestApiProdStage`: the stage SAM generates for a serverless API, by the
    /// logical id SAM gives it (`{Api}{StageName}Stage`, and `{Api}ApiGatewayDefaultStage` for
    /// an HTTP API's `$default` stage), yields the stage's name. `None` when `name` is not one.
    fn sam_generated_stage(&mut self, name: &str, pos: Pos) -> R<Option<Node>> {
        if !name.ends_with("Stage") || self.index.contains_key(name) {
            return Ok(None);
        }
        let resources = self.resources;
        for (idx, resource) in resources.iter().enumerate() {
            let kind = resource.kind.as_str();
            let Some(rest) = name.strip_prefix(resource.logical_id.as_str()) else {
                continue;
            };
            if kind != "AWS::Serverless::Api" && kind != "AWS::Serverless::HttpApi" {
                continue;
            }
            let member = format!("{}.Stage", resource.logical_id);
            let Some(stage) = self.sam_member(&member, pos)? else {
                continue;
            };
            let stage_name = stage.as_str().unwrap_or_default();
            let generated = if stage_name == "$default" {
                "ApiGatewayDefaultStage".to_string()
            } else {
                // SAM keeps only the letters and digits of the stage name in the id.
                let alnum: String = stage_name
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect();
                format!("{alnum}Stage")
            };
            if rest == generated {
                self.check_included(idx, pos)?;
                return Ok(Some(stage));
            }
        }
        Ok(None)
    }

    /// The value of `Fn::GetAtt [resource, attribute]`.
    pub fn attribute(&mut self, logical_id: &str, attribute: &str, pos: Pos) -> R<Node> {
        let Some(&idx) = self.index.get(logical_id) else {
            let what = if self.params.contains_key(logical_id) {
                "a parameter, and GetAtt needs a resource"
            } else {
                "not a resource in this template"
            };
            let message = format!("GetAtt {logical_id}.{attribute}: `{logical_id}` is {what}");
            return self.unresolved(pos, message, format!("{logical_id}.{attribute}"));
        };
        if !self.included_or_tolerated(idx, pos)? {
            return Ok(Node::str(format!("{logical_id}.{attribute}"), pos));
        }
        // `${MyApi.Stage}` or `${MyFunction.Alias}` in a Sub (SAM resolves them as it does
        // `Ref MyApi.Stage`).
        if matches!(attribute, "Stage" | "Deployment" | "Version" | "Alias")
            && let Some(value) = self.sam_member(&format!("{logical_id}.{attribute}"), pos)?
        {
            return Ok(value);
        }
        let resources = self.resources;
        if let Some(output) = attribute.strip_prefix("Outputs.")
            && crate::nested::is_stack(&resources[idx].kind)
        {
            return crate::nested::output(self, &resources[idx], output, pos);
        }
        let name_value = self.resource_name(idx, pos)?;
        let resource = &self.resources[idx];
        let text = refs::attribute(
            &resource.kind,
            &resource.logical_id,
            name_value.as_deref(),
            attribute,
            &self.env,
        );
        Ok(Node::str(text, pos))
    }

    fn pseudo(&self, name: &str, pos: Pos) -> Option<Option<Node>> {
        let text = match name {
            "AWS::NoValue" => return Some(None),
            "AWS::Region" => self.env.region.clone(),
            "AWS::AccountId" => self.env.account_id.clone(),
            "AWS::StackName" => self.env.stack_name.clone(),
            "AWS::StackId" => refs::stack_id(&self.env),
            "AWS::Partition" => self.env.partition().to_string(),
            "AWS::URLSuffix" => self.env.url_suffix().to_string(),
            "AWS::NotificationARNs" => return Some(Some(Node::new(Value::Seq(vec![]), pos))),
            _ => return None,
        };
        Some(Some(Node::str(text, pos)))
    }

    /// True when the resource with this logical id exists and its Condition holds.
    pub fn is_included(&mut self, idx: usize) -> R<bool> {
        match self.resources[idx].condition.clone() {
            Some((name, pos)) => self.condition(&name, pos),
            None => Ok(true),
        }
    }

    /// A reference that cannot be resolved: an error where serving depends on the value, else
    /// (when [`Evaluator::tolerant`]) a warning, and `stand_in` takes the value's place.
    pub(crate) fn unresolved(&mut self, pos: Pos, message: String, stand_in: String) -> R<Node> {
        if !self.tolerant || self.strict {
            return Err(self.diags.error(pos, message));
        }
        self.stand_ins += 1;
        self.diags.warn(
            pos,
            format!(
                "{message}; nothing served depends on it, so it is left unresolved \
                 (a deploy would reject it: `lambdagate validate` reports it as an error)"
            ),
        );
        Ok(Node::str(stand_in, pos))
    }

    /// Like `check_included`, but where the evaluator is tolerant a reference to a resource
    /// left out by its Condition is a warning: `Ok(false)` then, and the caller uses a stand-in.
    fn included_or_tolerated(&mut self, idx: usize, pos: Pos) -> R<bool> {
        if !self.tolerant || self.strict || self.is_included(idx)? {
            return self.check_included(idx, pos).map(|()| true);
        }
        let resource = &self.resources[idx];
        let condition = resource.condition.as_ref().map_or("", |(c, _)| c.as_str());
        let message = format!(
            "`{}` is left out because its Condition `{condition}` is false",
            resource.logical_id
        );
        self.unresolved(pos, message, String::new()).map(|_| false)
    }

    fn check_included(&mut self, idx: usize, pos: Pos) -> R<()> {
        if self.is_included(idx)? {
            return Ok(());
        }
        let resource = &self.resources[idx];
        let condition = resource.condition.as_ref().map_or("", |(c, _)| c.as_str());
        Err(self.diags.error(
            pos,
            format!(
                "`{}` is left out because its Condition `{condition}` is false, so nothing \
                 can refer to it here (wrap the reference in Fn::If on the same condition)",
                resource.logical_id
            ),
        ))
    }

    /// The resource's physical name from its name property (`FunctionName`, `TableName`...),
    /// resolved once; a name that depends on itself is a circular reference.
    fn resource_name(&mut self, idx: usize, pos: Pos) -> R<Option<String>> {
        if let Some(name) = self.names.get(&idx) {
            return Ok(name.clone());
        }
        let resource = &self.resources[idx];
        let Some(property) = refs::name_property(&resource.kind) else {
            return Ok(None);
        };
        let Some(node) = resource.properties.get(property) else {
            self.names.insert(idx, None);
            return Ok(None);
        };
        let logical = resource.logical_id.clone();
        if let Some(start) = self.resolving.iter().position(|r| *r == logical) {
            let mut cycle = self.resolving[start..].to_vec();
            cycle.push(logical);
            return Err(self
                .diags
                .error(pos, format!("circular reference: {}", cycle.join(" -> "))));
        }
        self.resolving.push(logical);
        let stand_ins = self.stand_ins;
        let mut result = self.resolve_text(node, property);
        // An alias is named by its function and its own name: `function:{name}:{alias}`.
        if resource.kind == "AWS::Lambda::Alias"
            && let Ok(function) = &result
            && let Some(alias) = resource.properties.get("Name")
        {
            result = self
                .resolve_text(alias, "Name")
                .map(|alias| format!("{function}:{alias}"));
        }
        self.resolving.pop();
        let name = Some(result?);
        // A name made of stand-ins is good enough where it was asked for, not for later uses.
        if self.stand_ins == stand_ins {
            self.names.insert(idx, name.clone());
        }
        Ok(name)
    }

    /// The value of the named condition from the `Conditions` section.
    pub fn condition(&mut self, name: &str, pos: Pos) -> R<bool> {
        if let Some(&value) = self.condition_values.get(name) {
            return Ok(value);
        }
        let Some(body) = self.conditions.and_then(|c| c.get(name)) else {
            let message = format!("condition `{name}` is not defined in the Conditions section");
            if self.tolerant && !self.strict {
                self.diags.warn(
                    pos,
                    format!(
                        "{message}; nothing served depends on it, so what it guards is left out \
                         (a deploy would reject it: `lambdagate validate` reports it as an error)"
                    ),
                );
                return Ok(false);
            }
            return Err(self.diags.error(pos, message));
        };
        let key = format!("condition {name}");
        if let Some(start) = self.resolving.iter().position(|r| *r == key) {
            let mut cycle = self.resolving[start..].to_vec();
            cycle.push(key);
            return Err(self
                .diags
                .error(pos, format!("circular reference: {}", cycle.join(" -> "))));
        }
        self.resolving.push(key);
        let result = self.condition_value(body);
        self.resolving.pop();
        let value = result?;
        self.condition_values.insert(name.to_string(), value);
        Ok(value)
    }

    /// Evaluates a condition expression: `Fn::Equals`/`And`/`Or`/`Not`, `{Condition: Name}`, or
    /// a boolean.
    pub fn condition_value(&mut self, node: &Node) -> R<bool> {
        if let Some([(key, arg)]) = node.as_map()
            && key.name == "Condition"
        {
            let Some(name) = arg.as_str() else {
                return Err(self.diags.error(
                    arg.pos,
                    format!("Condition must name a condition, not {}", arg.kind_name()),
                ));
            };
            return self.condition(name, arg.pos);
        }
        let value = self.resolve_value(node, "a condition")?;
        match value.value {
            Value::Bool(b) => Ok(b),
            Value::Str(ref s) if s == "true" || s == "false" => Ok(s == "true"),
            _ => Err(self.diags.error(
                node.pos,
                format!(
                    "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or \
                     {{Condition: Name}}, not {}",
                    value.kind_name()
                ),
            )),
        }
    }
}
