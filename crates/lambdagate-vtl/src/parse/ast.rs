//! The tree the parser builds and the renderer walks: template nodes, references and
//! expressions.

/// A piece of a template.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Literal text.
    Text(Box<str>),
    /// `$x…`, with the text it was written as (rendered when it has no value).
    Ref {
        reference: Reference,
        quiet: bool,
        source: Box<str>,
    },
    /// `#set($target = value)`.
    Set { target: Reference, value: Expr },
    /// `#if` / `#elseif` / `#else`.
    If {
        branches: Vec<(Expr, Vec<Node>)>,
        otherwise: Option<Vec<Node>>,
    },
    /// `#foreach($var in iterable)`.
    Foreach {
        var: Box<str>,
        iterable: Expr,
        body: Vec<Node>,
    },
    /// `#break`.
    Break,
    /// `#stop`.
    Stop,
    /// `#name(args)`: a macro call, with its source for when no such macro exists.
    Call {
        name: Box<str>,
        args: Vec<Expr>,
        source: Box<str>,
    },
}

/// `$root.a.b(…)[i]`.
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub(crate) root: Box<str>,
    pub(crate) chain: Vec<Access>,
}

/// One step of a reference.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    /// `.name`.
    Property(Box<str>),
    /// `.name(args)`.
    Method(Box<str>, Vec<Expr>),
    /// `[expr]`.
    Index(Expr),
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// An expression inside a directive or method call.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Box<str>),
    /// A double-quoted string with references or directives in it.
    Interpolated(Vec<Node>),
    Ref(Reference),
    List(Vec<Expr>),
    Range(Box<Expr>, Box<Expr>),
    Map(Vec<(Expr, Expr)>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

/// A `#macro`.
#[derive(Debug)]
pub(crate) struct Macro {
    pub(crate) params: Vec<Box<str>>,
    pub(crate) body: Vec<Node>,
}
