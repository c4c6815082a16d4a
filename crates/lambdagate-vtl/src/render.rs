//! Rendering a parsed template.

use std::rc::Rc;

use crate::parse::{Access, BinOp, Expr, Node, Reference};
use crate::value::{Map, Value};
use crate::{Env, Options, RenderError, Template, Undefined, Variables, methods};

/// Ranges larger than this are refused rather than built.
const MAX_RANGE: i64 = 100_000;

/// What a block asks of the blocks around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Stop,
}

pub(crate) struct Renderer<'r> {
    template: &'r Template,
    vars: &'r mut Variables,
    env: &'r dyn Env,
    options: &'r Options,
    out: &'r mut String,
    steps: u64,
    depth: usize,
}

impl<'r> Renderer<'r> {
    pub(crate) fn new(
        template: &'r Template,
        vars: &'r mut Variables,
        env: &'r dyn Env,
        options: &'r Options,
        out: &'r mut String,
    ) -> Renderer<'r> {
        Renderer {
            template,
            vars,
            env,
            options,
            out,
            steps: 0,
            depth: 0,
        }
    }

    pub(crate) fn run(&mut self, nodes: &[Node]) -> Result<(), RenderError> {
        self.nodes(nodes).map(|_| ())
    }

    fn step(&mut self) -> Result<(), RenderError> {
        self.steps += 1;
        if self.steps > self.options.limits.steps {
            return Err(RenderError::TooMuchWork(self.options.limits.steps));
        }
        Ok(())
    }

    fn check_output(&self) -> Result<(), RenderError> {
        if self.out.len() > self.options.limits.output_bytes {
            return Err(RenderError::OutputTooLarge(
                self.options.limits.output_bytes,
            ));
        }
        Ok(())
    }

    fn write_value(&mut self, value: &Value) {
        match value {
            Value::Object(o) => self.env.display(o, self.out),
            v => v.write_java(self.out),
        }
    }

    fn nodes(&mut self, nodes: &[Node]) -> Result<Flow, RenderError> {
        for node in nodes {
            self.step()?;
            match node {
                Node::Text(text) => {
                    self.out.push_str(text);
                    self.check_output()?;
                }
                Node::Ref {
                    reference,
                    quiet,
                    source,
                } => {
                    let value = self.reference(reference)?;
                    if value.is_null() {
                        if !quiet && self.options.undefined == Undefined::Source {
                            self.out.push_str(source);
                        }
                    } else {
                        self.write_value(&value);
                    }
                    self.check_output()?;
                }
                Node::Set { target, value } => {
                    let value = self.eval(value)?;
                    // Velocity 1.7 leaves the target unchanged when the value is null.
                    if !value.is_null() {
                        self.assign(target, value)?;
                    }
                }
                Node::If {
                    branches,
                    otherwise,
                } => {
                    let mut chosen = None;
                    for (condition, body) in branches {
                        if self.eval(condition)?.truthy() {
                            chosen = Some(body);
                            break;
                        }
                    }
                    if let Some(body) = chosen.or(otherwise.as_ref()) {
                        let flow = self.nodes(body)?;
                        if flow != Flow::Normal {
                            return Ok(flow);
                        }
                    }
                }
                Node::Foreach {
                    var,
                    iterable,
                    body,
                } => {
                    if self.foreach(var, iterable, body)? == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                }
                Node::Break => return Ok(Flow::Break),
                Node::Stop => return Ok(Flow::Stop),
                Node::Call { name, args, source } => {
                    let Some(m) = self.template.macros.get(name).cloned() else {
                        self.out.push_str(source);
                        self.check_output()?;
                        continue;
                    };
                    if self.depth >= self.options.limits.depth {
                        return Err(RenderError::TooDeep(self.options.limits.depth));
                    }
                    let mut saved = Vec::with_capacity(m.params.len());
                    for (i, param) in m.params.iter().enumerate() {
                        let value = match args.get(i) {
                            Some(arg) => self.eval(arg)?,
                            None => Value::Null,
                        };
                        let old = if value.is_null() {
                            self.vars.remove(param)
                        } else {
                            self.vars.vars.insert(param.clone(), value)
                        };
                        saved.push((param, old));
                    }
                    self.depth += 1;
                    let flow = self.nodes(&m.body);
                    self.depth -= 1;
                    for (param, old) in saved.into_iter().rev() {
                        match old {
                            Some(v) => self.vars.insert(param, v),
                            None => {
                                self.vars.remove(param);
                            }
                        }
                    }
                    // A `#break` in a macro ends the macro only; `#stop` ends everything.
                    if flow? == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                }
            }
        }
        Ok(Flow::Normal)
    }

    fn foreach(&mut self, var: &str, iterable: &Expr, body: &[Node]) -> Result<Flow, RenderError> {
        let items: Vec<Value> = match self.eval(iterable)? {
            Value::List(list) => list.items.borrow().clone(),
            Value::Map(map) => map
                .entries
                .borrow()
                .iter()
                .map(|(_, v)| v.clone())
                .collect(),
            _ => return Ok(Flow::Normal),
        };
        let limit = self.options.limits.foreach;
        let saved_var = self.vars.remove(var);
        let saved_foreach = self.vars.remove("foreach");
        let saved_count = self.vars.remove("velocityCount");
        let state = Rc::new(Map::default());
        self.vars.insert("foreach", Value::Map(state.clone()));
        let mut result = Ok(Flow::Normal);
        let total = items.len();
        for (index, item) in items.into_iter().enumerate() {
            if index >= limit {
                result = Err(RenderError::TooManyIterations(limit));
                break;
            }
            // Each iteration is work, even with an empty body.
            if let Err(e) = self.step() {
                result = Err(e);
                break;
            }
            let count = index as i64 + 1;
            {
                let mut entries = state.entries.borrow_mut();
                entries.clear();
                entries.push(("index".into(), Value::Int(index as i64)));
                entries.push(("count".into(), Value::Int(count)));
                entries.push(("hasNext".into(), Value::Bool(index + 1 < total)));
                entries.push(("first".into(), Value::Bool(index == 0)));
                entries.push(("last".into(), Value::Bool(index + 1 == total)));
            }
            self.vars.insert("velocityCount", Value::Int(count));
            if item.is_null() {
                self.vars.remove(var);
            } else {
                self.vars.insert(var, item);
            }
            match self.nodes(body) {
                Ok(Flow::Normal) => {}
                Ok(Flow::Break) => break,
                Ok(Flow::Stop) => {
                    result = Ok(Flow::Stop);
                    break;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        for (name, old) in [
            (var, saved_var),
            ("foreach", saved_foreach),
            ("velocityCount", saved_count),
        ] {
            match old {
                Some(v) => self.vars.insert(name, v),
                None => {
                    self.vars.remove(name);
                }
            }
        }
        result
    }

    /// Evaluates a reference; null when any step has no value.
    fn reference(&mut self, reference: &Reference) -> Result<Value, RenderError> {
        let mut value = self.vars.get(&reference.root).cloned().unwrap_or_default();
        for access in &reference.chain {
            if value.is_null() {
                return Ok(Value::Null);
            }
            value = self.access(&value, access)?;
        }
        Ok(value)
    }

    fn access(&mut self, value: &Value, access: &Access) -> Result<Value, RenderError> {
        self.step()?;
        Ok(match access {
            Access::Property(name) => match value {
                Value::Object(o) => self.env.property(o, name).unwrap_or_default(),
                v => methods::property(v, name).unwrap_or_default(),
            },
            Access::Method(name, args) => {
                let mut values = Vec::with_capacity(args.len());
                for arg in args {
                    values.push(self.eval(arg)?);
                }
                let answer = match value {
                    Value::Object(o) => self.env.method(o, name, &values),
                    v => methods::call(v, name, &values),
                };
                answer.map_err(RenderError::Method)?.unwrap_or_default()
            }
            Access::Index(index) => {
                let index = self.eval(index)?;
                methods::index(value, &index)
            }
        })
    }

    /// `#set`: a variable, or a map entry / list item at the end of a reference.
    fn assign(&mut self, target: &Reference, value: Value) -> Result<(), RenderError> {
        let Some((last, init)) = target.chain.split_last() else {
            self.vars.insert(&target.root, value);
            return Ok(());
        };
        let mut container = self.vars.get(&target.root).cloned().unwrap_or_default();
        for access in init {
            if container.is_null() {
                return Ok(());
            }
            container = self.access(&container, access)?;
        }
        match (last, &container) {
            (Access::Property(name), Value::Map(map)) => {
                map.insert(name, value);
            }
            (Access::Index(index), _) => {
                let index = self.eval(index)?;
                match (&container, index) {
                    (Value::Map(map), key) => {
                        map.insert(&key.to_java_string(), value);
                    }
                    (Value::List(list), Value::Int(i)) => {
                        let mut items = list.items.borrow_mut();
                        match usize::try_from(i).ok().and_then(|i| items.get_mut(i)) {
                            Some(slot) => *slot = value,
                            None => {
                                return Err(RenderError::Method(format!(
                                    "index {i} out of bounds for length {}",
                                    items.len()
                                )));
                            }
                        }
                    }
                    _ => {}
                }
            }
            // Velocity ignores a #set on anything else (it logs).
            _ => {}
        }
        Ok(())
    }

    fn eval(&mut self, expr: &Expr) -> Result<Value, RenderError> {
        self.step()?;
        Ok(match expr {
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(i) => Value::Int(*i),
            Expr::Float(f) => Value::Float(*f),
            Expr::Str(s) => Value::str(s),
            Expr::Interpolated(nodes) => {
                let mut text = String::new();
                std::mem::swap(self.out, &mut text);
                let flow = self.nodes(nodes);
                std::mem::swap(self.out, &mut text);
                flow?;
                Value::Str(text.into())
            }
            Expr::Ref(r) => self.reference(r)?,
            Expr::List(items) => {
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.eval(item)?);
                }
                Value::list(values, false)
            }
            Expr::Range(from, to) => {
                let (from, to) = (self.eval(from)?, self.eval(to)?);
                let (Some(a), Some(b)) = (range_end(&from), range_end(&to)) else {
                    return Ok(Value::Null);
                };
                if (a - b).abs() >= MAX_RANGE {
                    return Err(RenderError::TooManyIterations(MAX_RANGE as usize));
                }
                let items: Vec<Value> = if a <= b {
                    (a..=b).map(Value::Int).collect()
                } else {
                    (b..=a).rev().map(Value::Int).collect()
                };
                Value::list(items, false)
            }
            Expr::Map(entries) => {
                let mut values = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = self.eval(k)?.to_java_string();
                    let value = self.eval(v)?;
                    values.push((Rc::from(key.as_str()), value));
                }
                let map = Map::default();
                for (k, v) in values {
                    map.insert(&k, v);
                }
                Value::Map(Rc::new(map))
            }
            Expr::Not(e) => Value::Bool(!self.eval(e)?.truthy()),
            Expr::Neg(e) => match self.eval(e)? {
                Value::Int(i) => i
                    .checked_neg()
                    .map_or(Value::Float(-(i as f64)), Value::Int),
                Value::Float(f) => Value::Float(-f),
                _ => Value::Null,
            },
            Expr::Binary(op, left, right) => {
                let left = self.eval(left)?;
                match op {
                    BinOp::And => {
                        return Ok(Value::Bool(left.truthy() && self.eval(right)?.truthy()));
                    }
                    BinOp::Or => {
                        return Ok(Value::Bool(left.truthy() || self.eval(right)?.truthy()));
                    }
                    _ => {}
                }
                let right = self.eval(right)?;
                binary(*op, &left, &right, self.options.undefined)
            }
        })
    }
}

fn range_end(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Velocity 1.7's operators: numbers by value (integers stay integers), `==` on different
/// types compares their strings, `+` with a string concatenates.
fn binary(op: BinOp, a: &Value, b: &Value, undefined: Undefined) -> Value {
    match op {
        BinOp::Eq => Value::Bool(loose_equals(a, b, undefined)),
        BinOp::Ne => Value::Bool(!loose_equals(a, b, undefined)),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ordering = match (a, b) {
                (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
                (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
                _ => match (a.as_f64(), b.as_f64()) {
                    (Some(x), Some(y)) => x.partial_cmp(&y),
                    _ => None,
                },
            };
            let Some(ordering) = ordering else {
                return Value::Bool(false);
            };
            Value::Bool(match op {
                BinOp::Lt => ordering.is_lt(),
                BinOp::Le => ordering.is_le(),
                BinOp::Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            })
        }
        BinOp::Add if matches!(a, Value::Str(_)) || matches!(b, Value::Str(_)) => {
            if a.is_null() || b.is_null() {
                return Value::Null;
            }
            let mut s = a.to_java_string();
            b.write_java(&mut s);
            Value::Str(s.into())
        }
        _ => arithmetic(op, a, b),
    }
}

fn loose_equals(a: &Value, b: &Value, undefined: Undefined) -> bool {
    // Where null prints as nothing (API Gateway), it also equals the empty string: a missing
    // `$input.path(…)` is both `== $null` and `== ""` there (recorded AWS answers).
    if undefined == Undefined::Empty {
        match (a, b) {
            (Value::Null, Value::Str(s)) | (Value::Str(s), Value::Null) if s.is_empty() => {
                return true;
            }
            _ => {}
        }
    }
    let same_kind = std::mem::discriminant(a) == std::mem::discriminant(b)
        || (a.as_f64().is_some() && b.as_f64().is_some());
    if same_kind || a.is_null() || b.is_null() {
        a.java_equals(b)
    } else {
        a.to_java_string() == b.to_java_string()
    }
}

fn arithmetic(op: BinOp, a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            let (x, y) = (*x, *y);
            let exact = match op {
                BinOp::Add => x.checked_add(y),
                BinOp::Sub => x.checked_sub(y),
                BinOp::Mul => x.checked_mul(y),
                // Velocity answers null for a division by zero instead of throwing.
                BinOp::Div if y == 0 => return Value::Null,
                BinOp::Mod if y == 0 => return Value::Null,
                BinOp::Div => x.checked_div(y),
                BinOp::Mod => x.checked_rem(y),
                _ => return Value::Null,
            };
            // Java widens an overflowing Long to BigInteger; a double keeps the magnitude.
            exact.map_or_else(|| float_op(op, x as f64, y as f64), Value::Int)
        }
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => {
                if matches!(op, BinOp::Div | BinOp::Mod) && y == 0.0 {
                    return Value::Null;
                }
                float_op(op, x, y)
            }
            _ => Value::Null,
        },
    }
}

fn float_op(op: BinOp, x: f64, y: f64) -> Value {
    Value::Float(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        BinOp::Mod => x % y,
        _ => return Value::Null,
    })
}
