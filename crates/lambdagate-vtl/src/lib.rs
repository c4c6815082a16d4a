//! A Velocity Template Language engine as API Gateway runs mapping templates.
//!
//! A [`Template`] is parsed once (at load time) into a tree and rendered per request against
//! [`Variables`] and an [`Env`] that answers for the embedding program's objects (API
//! Gateway's `$input`, `$util`, `$context`). Values follow Java's semantics as Velocity 1.7
//! exposes them: integer division for integers, `toString()` forms for maps and lists, method
//! calls on strings, lists and maps (`size()`, `substring`, `replaceAll`, `keySet`, …).
//!
//! Rendering is bounded ([`Limits`]): `#foreach` iterations, output size, total work and macro
//! depth; exceeding one stops the render with a [`RenderError`].

mod methods;
mod parse;
mod render;
pub mod value;

use std::collections::HashMap;
use std::sync::Arc;

pub use value::{List, Map, Object, Value};

/// Why a template does not parse, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Why a render stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// A `#foreach` went past [`Limits::foreach`] iterations.
    #[error("#foreach exceeded {0} iterations")]
    TooManyIterations(usize),
    /// The output grew past [`Limits::output_bytes`].
    #[error("the output exceeded {0} bytes")]
    OutputTooLarge(usize),
    /// The render took more than [`Limits::steps`] steps.
    #[error("the template did more than {0} steps of work")]
    TooMuchWork(u64),
    /// Macros called each other deeper than [`Limits::depth`].
    #[error("macros nested deeper than {0}")]
    TooDeep(usize),
    /// A method failed as it throws in Java (an index out of range, a bad regex).
    #[error("{0}")]
    Method(String),
}

/// Bounds on one render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Iterations of one `#foreach` (API Gateway: 1000).
    pub foreach: usize,
    /// Output size in bytes.
    pub output_bytes: usize,
    /// Nodes and expressions evaluated.
    pub steps: u64,
    /// Macro call depth.
    pub depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            foreach: 1000,
            // API Gateway's payload limit.
            output_bytes: 10 * 1024 * 1024,
            steps: 10_000_000,
            // Velocity's `velocimacro.max.depth`.
            depth: 20,
        }
    }
}

/// How a render treats references without a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Undefined {
    /// Velocity's default: the reference is printed as written (`$foo.bar`).
    #[default]
    Source,
    /// Printed as nothing, as API Gateway does.
    Empty,
}

/// Options of a render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// Bounds.
    pub limits: Limits,
    /// References without a value.
    pub undefined: Undefined,
}

/// The embedding program's objects ([`Value::Object`]).
pub trait Env {
    /// `$object.name`; `None` when it has no such property.
    fn property(&self, object: &Object, name: &str) -> Option<Value>;
    /// `$object.name(args)`; `Ok(None)` when it has no such method or it answered null.
    fn method(&self, object: &Object, name: &str, args: &[Value]) -> Result<Option<Value>, String>;
    /// How the object prints.
    fn display(&self, object: &Object, out: &mut String) {
        out.push_str(&object.path);
    }
}

/// An [`Env`] without objects.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEnv;

impl Env for NoEnv {
    fn property(&self, _: &Object, _: &str) -> Option<Value> {
        None
    }
    fn method(&self, _: &Object, _: &str, _: &[Value]) -> Result<Option<Value>, String> {
        Ok(None)
    }
}

/// The variables of a render (`$name`), which `#set` changes.
#[derive(Debug, Default, Clone)]
pub struct Variables {
    vars: HashMap<Box<str>, Value>,
}

impl Variables {
    /// No variables.
    pub fn new() -> Variables {
        Variables::default()
    }

    /// Sets `$name`.
    pub fn insert(&mut self, name: &str, value: Value) {
        self.vars.insert(name.into(), value);
    }

    /// `$name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }

    fn remove(&mut self, name: &str) -> Option<Value> {
        self.vars.remove(name)
    }
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Arc<[parse::Node]>,
    macros: Arc<HashMap<Box<str>, Arc<parse::Macro>>>,
}

impl Template {
    /// Parses `source`.
    pub fn parse(source: &str) -> Result<Template, ParseError> {
        let mut parser = parse::Parser::new(source);
        let nodes = parser.template()?;
        Ok(Template {
            nodes: nodes.into(),
            macros: Arc::new(parser.macros),
        })
    }

    /// Renders into `out` (which keeps what was written before a failure).
    pub fn render_into(
        &self,
        vars: &mut Variables,
        env: &dyn Env,
        options: &Options,
        out: &mut String,
    ) -> Result<(), RenderError> {
        render::Renderer::new(self, vars, env, options, out).run(&self.nodes)
    }

    /// Renders to a new string.
    pub fn render(
        &self,
        vars: &mut Variables,
        env: &dyn Env,
        options: &Options,
    ) -> Result<String, RenderError> {
        let mut out = String::new();
        self.render_into(vars, env, options, &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
