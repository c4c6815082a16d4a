//! Route selection, compiled once per API at load time.
//!
//! A route template is a list of segments: literals, `{param}` (one segment) and `{param+}`
//! (greedy: one or more segments, always last). Requests are matched against a segment trie with
//! backtracking, trying literal children before `{param}` before `{param+}` at every level and
//! preferring an exact method over `ANY` on the node where the path ends. The first complete
//! match in that order is the most specific one, which is AWS's rule: it is *not* a first-descent
//! match, so `GET /part1/random` falls back to `/{param+}` when `/part1` has no matching child, and
//! `OPTIONS /test` falls back to `/{proxy+}` when `/test` has no `OPTIONS` method.
//!
//! Empty segments are ignored for matching (AWS routes `/x`, `/x/` and `//x` alike), while greedy
//! captures keep the raw text between their first and last segment (`a//b` stays `a//b`).

use std::collections::HashMap;

/// One segment of a route template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A literal segment, compared exactly (case-sensitive, as AWS does).
    Literal(String),
    /// `{name}`: exactly one segment.
    Param(String),
    /// `{name+}`: one or more segments; only valid as the last segment.
    Greedy(String),
}

/// Why a route template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{name+}` that is not the last segment.
    #[error("greedy path variable `{{{0}+}}` must be the last segment of `{1}`")]
    GreedyNotLast(String, String),
    /// An empty `{}` or an unbalanced brace.
    #[error("malformed path variable in `{0}`")]
    MalformedVariable(String),
}

/// Parses a template such as `/items/{id}/{proxy+}` into segments (empty segments dropped).
pub fn parse_template(path: &str) -> Result<Vec<Segment>, TemplateError> {
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut segments = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let segment = if let Some(inner) = part.strip_prefix('{') {
            let inner = inner
                .strip_suffix('}')
                .ok_or_else(|| TemplateError::MalformedVariable(path.to_string()))?;
            if let Some(name) = inner.strip_suffix('+') {
                if name.is_empty() {
                    return Err(TemplateError::MalformedVariable(path.to_string()));
                }
                if i + 1 != parts.len() {
                    return Err(TemplateError::GreedyNotLast(
                        name.to_string(),
                        path.to_string(),
                    ));
                }
                Segment::Greedy(name.to_string())
            } else if inner.is_empty() || inner.contains(['{', '}']) {
                return Err(TemplateError::MalformedVariable(path.to_string()));
            } else {
                Segment::Param(inner.to_string())
            }
        } else if part.contains(['{', '}']) {
            return Err(TemplateError::MalformedVariable(path.to_string()));
        } else {
            Segment::Literal((*part).to_string())
        };
        segments.push(segment);
    }
    Ok(segments)
}

/// Which methods `ANY` stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnyMethod {
    /// REST: DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT.
    Standard,
    /// HTTP API: every method.
    All,
}

impl AnyMethod {
    /// Whether `ANY` covers `method`.
    pub fn covers(self, method: &str) -> bool {
        match self {
            AnyMethod::All => true,
            AnyMethod::Standard => matches!(
                method,
                "DELETE" | "GET" | "HEAD" | "OPTIONS" | "PATCH" | "POST" | "PUT"
            ),
        }
    }
}

/// A compiled route's target plus the names of its path variables, in order.
#[derive(Debug, Clone)]
struct Entry<T> {
    names: Vec<String>,
    any: AnyMethod,
    target: T,
}

/// The methods attached where a template ends.
#[derive(Debug, Clone)]
struct Methods<T> {
    exact: Vec<(String, Entry<T>)>,
    any: Option<Entry<T>>,
}

impl<T> Default for Methods<T> {
    fn default() -> Self {
        Methods {
            exact: Vec::new(),
            any: None,
        }
    }
}

impl<T> Methods<T> {
    fn select(&self, method: &str) -> Option<&Entry<T>> {
        self.exact
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, e)| e)
            .or_else(|| self.any.as_ref().filter(|e| e.any.covers(method)))
    }

    fn slot(&mut self, method: &str) -> Option<&Entry<T>> {
        if method == "ANY" {
            self.any.as_ref()
        } else {
            self.exact.iter().find(|(m, _)| m == method).map(|(_, e)| e)
        }
    }
}

#[derive(Debug, Clone)]
struct Node<T> {
    literals: HashMap<String, Node<T>>,
    param: Option<Box<Node<T>>>,
    greedy: Option<Methods<T>>,
    methods: Methods<T>,
}

impl<T> Default for Node<T> {
    fn default() -> Self {
        Node {
            literals: HashMap::new(),
            param: None,
            greedy: None,
            methods: Methods::default(),
        }
    }
}

/// A route already present for the same method and path shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("route `{method} {path}` is defined twice")]
pub struct DuplicateRoute<T> {
    /// The method.
    pub method: String,
    /// The path as written in the second definition.
    pub path: String,
    /// The target of the route that is already there.
    pub existing: T,
}

/// A byte range of the request path.
pub type Span = (usize, usize);

/// A successful match: the target and each path variable's raw value as a span of the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<'r, T> {
    /// What the matched route points at.
    pub target: &'r T,
    /// `(name, span)` for every path variable of the route, in template order.
    pub params: Vec<(&'r str, Span)>,
}

/// A compiled router: method + path → target.
#[derive(Debug, Clone)]
pub struct Router<T> {
    root: Node<T>,
    len: usize,
}

impl<T> Default for Router<T> {
    fn default() -> Self {
        Router {
            root: Node::default(),
            len: 0,
        }
    }
}

/// The non-empty segments of a request path, as spans into it.
pub fn path_segments(path: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, b) in path.bytes().enumerate() {
        if b == b'/' {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, path.len()));
    }
    out
}

impl<T: Clone> Router<T> {
    /// An empty router.
    pub fn new() -> Self {
        Router::default()
    }

    /// The number of routes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no route was added.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `method` (upper-case or `ANY`) + parsed `segments`. A second route with the same
    /// method and path shape (whatever its variable names) is refused with the first's target.
    pub fn insert(
        &mut self,
        method: &str,
        segments: &[Segment],
        any: AnyMethod,
        target: T,
    ) -> Result<(), DuplicateRoute<T>> {
        let mut node = &mut self.root;
        let mut names = Vec::new();
        let mut greedy = false;
        for segment in segments {
            match segment {
                Segment::Literal(text) => {
                    node = node.literals.entry(text.clone()).or_default();
                }
                Segment::Param(name) => {
                    names.push(name.clone());
                    node = node.param.get_or_insert_with(Box::default);
                }
                Segment::Greedy(name) => {
                    names.push(name.clone());
                    greedy = true;
                }
            }
        }
        let methods = if greedy {
            node.greedy.get_or_insert_with(Methods::default)
        } else {
            &mut node.methods
        };
        if let Some(existing) = methods.slot(method) {
            return Err(DuplicateRoute {
                method: method.to_string(),
                path: render(segments),
                existing: existing.target.clone(),
            });
        }
        let entry = Entry { names, any, target };
        if method == "ANY" {
            methods.any = Some(entry);
        } else {
            methods.exact.push((method.to_string(), entry));
        }
        self.len += 1;
        Ok(())
    }

    /// The most specific route for `method` and the raw request `path`.
    pub fn find<'r>(&'r self, method: &str, path: &str) -> Option<Match<'r, T>> {
        let segments = path_segments(path);
        self.find_segments(method, path, &segments)
    }

    /// Like [`Router::find`] with the path already split (see [`path_segments`]).
    pub fn find_segments<'r>(
        &'r self,
        method: &str,
        path: &str,
        segments: &[Span],
    ) -> Option<Match<'r, T>> {
        let mut captures = Vec::with_capacity(4);
        let entry = descend(&self.root, method, path, segments, 0, &mut captures)?;
        let params = entry
            .names
            .iter()
            .map(String::as_str)
            .zip(captures)
            .collect();
        Some(Match {
            target: &entry.target,
            params,
        })
    }
}

fn descend<'r, T>(
    node: &'r Node<T>,
    method: &str,
    path: &str,
    segments: &[Span],
    idx: usize,
    captures: &mut Vec<Span>,
) -> Option<&'r Entry<T>> {
    let Some(&(start, end)) = segments.get(idx) else {
        return node.methods.select(method);
    };
    if let Some(child) = node.literals.get(&path[start..end])
        && let Some(found) = descend(child, method, path, segments, idx + 1, captures)
    {
        return Some(found);
    }
    if let Some(child) = &node.param {
        captures.push((start, end));
        if let Some(found) = descend(child, method, path, segments, idx + 1, captures) {
            return Some(found);
        }
        captures.pop();
    }
    if let Some(methods) = &node.greedy
        && let Some(entry) = methods.select(method)
    {
        let last = segments[segments.len() - 1].1;
        captures.push((start, last));
        return Some(entry);
    }
    None
}

/// Writes segments back as a path template.
pub fn render(segments: &[Segment]) -> String {
    if segments.is_empty() {
        return "/".to_string();
    }
    let mut out = String::new();
    for segment in segments {
        out.push('/');
        match segment {
            Segment::Literal(t) => out.push_str(t),
            Segment::Param(n) => {
                out.push('{');
                out.push_str(n);
                out.push('}');
            }
            Segment::Greedy(n) => {
                out.push('{');
                out.push_str(n);
                out.push_str("+}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
