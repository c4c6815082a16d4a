//! The parser: template text to a tree, once, at load time.
//!
//! Velocity's grammar is text with two escapes into code: references (`$x.y(…)`) and
//! directives (`#if(…)`). Text that only looks like code (`$5`, `#fff`, `$.a` inside a string)
//! stays text, as Velocity leaves it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ParseError;

/// Deepest nesting of blocks and expressions the parser accepts.
const MAX_NESTING: usize = 128;

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

/// What ended a block.
enum End {
    Eof,
    Close,
    Else,
    ElseIf(Expr),
}

pub(crate) struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    end: usize,
    depth: usize,
    pub(crate) macros: HashMap<Box<str>, Arc<Macro>>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

const DIRECTIVES: &[&str] = &[
    "set", "if", "elseif", "else", "end", "foreach", "break", "stop", "macro",
];

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str) -> Parser<'a> {
        Parser {
            src,
            b: src.as_bytes(),
            pos: 0,
            end: src.len(),
            depth: 0,
            macros: HashMap::new(),
        }
    }

    pub(crate) fn error(&self, at: usize, message: impl Into<String>) -> ParseError {
        let before = &self.src[..at.min(self.src.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ParseError {
            line,
            column,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        (self.pos < self.end).then(|| self.b[self.pos])
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        let at = self.pos + offset;
        (at < self.end).then(|| self.b[at])
    }

    fn starts_with(&self, s: &str) -> bool {
        self.b[self.pos..self.end].starts_with(s.as_bytes())
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.error(self.pos, "the template nests too deeply"));
        }
        Ok(())
    }

    /// The whole template.
    pub(crate) fn template(&mut self) -> Result<Vec<Node>, ParseError> {
        let (nodes, end) = self.block()?;
        match end {
            End::Eof => Ok(nodes),
            _ => Err(self.error(
                self.pos,
                "#end, #else or #elseif without an opening directive",
            )),
        }
    }

    /// Nodes until `#end`, `#else`, `#elseif` or the end of input.
    fn block(&mut self) -> Result<(Vec<Node>, End), ParseError> {
        self.enter()?;
        let mut nodes = Vec::new();
        let mut text = String::new();
        let end = loop {
            let Some(c) = self.peek() else {
                break End::Eof;
            };
            match c {
                b'\\' => self.escape(&mut text),
                b'$' => {
                    let start = self.pos;
                    match self.text_reference()? {
                        Some(node) => {
                            flush(&mut text, &mut nodes);
                            nodes.push(node);
                        }
                        None => {
                            self.pos = start + 1;
                            text.push('$');
                        }
                    }
                }
                b'#' => {
                    if let Some(end) = self.hash(&mut text, &mut nodes)? {
                        break end;
                    }
                }
                _ => {
                    // Copy the run of plain text at once.
                    let start = self.pos;
                    while self.pos < self.end && !matches!(self.b[self.pos], b'\\' | b'$' | b'#') {
                        self.pos += 1;
                    }
                    text.push_str(&self.src[start..self.pos]);
                }
            }
        };
        flush(&mut text, &mut nodes);
        self.depth -= 1;
        Ok((nodes, end))
    }

    /// A run of backslashes: pairs print one backslash each; an odd one left over escapes the
    /// reference or directive after it, which then prints as written.
    fn escape(&mut self, text: &mut String) {
        let start = self.pos;
        while self.peek() == Some(b'\\') {
            self.pos += 1;
        }
        let count = self.pos - start;
        let escapes = match (self.peek(), self.peek_at(1)) {
            (Some(b'$'), Some(c)) => is_ident_start(c) || c == b'!' || c == b'{',
            (Some(b'#'), Some(c)) => c.is_ascii_alphabetic() || c == b'{',
            _ => false,
        };
        if !escapes {
            text.push_str(&self.src[start..self.pos]);
            return;
        }
        for _ in 0..count / 2 {
            text.push('\\');
        }
        if count % 2 == 1 {
            // The escaped `$name` / `#name` is text.
            let lead = self.b[self.pos];
            text.push(lead as char);
            self.pos += 1;
            let from = self.pos;
            while self.pos < self.end && (is_ident(self.b[self.pos]) || self.b[self.pos] == b'!') {
                self.pos += 1;
            }
            text.push_str(&self.src[from..self.pos]);
        }
    }

    /// What follows a `#`: a comment, a directive, a macro call, or text.
    fn hash(
        &mut self,
        text: &mut String,
        nodes: &mut Vec<Node>,
    ) -> Result<Option<End>, ParseError> {
        let start = self.pos;
        if self.starts_with("##") {
            // A line comment swallows its newline.
            while let Some(c) = self.peek() {
                self.pos += 1;
                if c == b'\n' {
                    break;
                }
            }
            return Ok(None);
        }
        if self.starts_with("#*") {
            match self.src[self.pos + 2..self.end].find("*#") {
                Some(i) => self.pos += 2 + i + 2,
                None => return Err(self.error(start, "unterminated #* comment")),
            }
            return Ok(None);
        }
        if self.starts_with("#[[") {
            match self.src[self.pos + 3..self.end].find("]]#") {
                Some(i) => {
                    text.push_str(&self.src[self.pos + 3..self.pos + 3 + i]);
                    self.pos += 3 + i + 3;
                }
                None => return Err(self.error(start, "unterminated #[[ block")),
            }
            return Ok(None);
        }
        // `#name` or `#{name}`.
        let mut p = self.pos + 1;
        let braced = p < self.end && self.b[p] == b'{';
        if braced {
            p += 1;
        }
        let name_start = p;
        if p >= self.end || !self.b[p].is_ascii_alphabetic() {
            self.pos += 1;
            text.push('#');
            return Ok(None);
        }
        while p < self.end && (self.b[p].is_ascii_alphanumeric() || self.b[p] == b'_') {
            p += 1;
        }
        let name = &self.src[name_start..p];
        if braced {
            if p < self.end && self.b[p] == b'}' {
                p += 1;
            } else {
                self.pos += 1;
                text.push('#');
                return Ok(None);
            }
        }
        self.pos = p;
        if !DIRECTIVES.contains(&name) {
            return self.macro_call(start, name, text, nodes).map(|()| None);
        }
        match name {
            "set" => {
                // `#set` takes the blanks before it on its line with it.
                let trimmed = text.trim_end_matches([' ', '\t']).len();
                text.truncate(trimmed);
                flush(text, nodes);
                self.open_paren(start)?;
                self.skip_ws();
                if self.peek() != Some(b'$') {
                    return Err(self.error(self.pos, "#set needs a reference on the left"));
                }
                let (target, _, _) = self.reference()?;
                self.skip_ws();
                if self.peek() != Some(b'=') {
                    return Err(self.error(self.pos, "#set needs `=`"));
                }
                self.pos += 1;
                let value = self.expr()?;
                self.close_paren(start, "#set")?;
                self.eat_line_end();
                nodes.push(Node::Set { target, value });
            }
            "if" => {
                flush(text, nodes);
                let condition = self.paren_expr(start, "#if")?;
                self.eat_line_end();
                let mut branches = Vec::new();
                let mut otherwise = None;
                let (body, mut end) = self.block()?;
                branches.push((condition, body));
                loop {
                    match end {
                        End::Close => break,
                        End::Eof => return Err(self.error(start, "#if without #end")),
                        End::ElseIf(condition) => {
                            let (body, next) = self.block()?;
                            branches.push((condition, body));
                            end = next;
                        }
                        End::Else => {
                            let (body, next) = self.block()?;
                            match next {
                                End::Close => {}
                                End::Eof => return Err(self.error(start, "#if without #end")),
                                _ => {
                                    return Err(
                                        self.error(self.pos, "#elseif or #else after #else")
                                    );
                                }
                            }
                            otherwise = Some(body);
                            break;
                        }
                    }
                }
                nodes.push(Node::If {
                    branches,
                    otherwise,
                });
            }
            "elseif" => {
                flush(text, nodes);
                let condition = self.paren_expr(start, "#elseif")?;
                self.eat_line_end();
                return Ok(Some(End::ElseIf(condition)));
            }
            "else" => {
                flush(text, nodes);
                self.eat_line_end();
                return Ok(Some(End::Else));
            }
            "end" => {
                flush(text, nodes);
                self.eat_line_end();
                return Ok(Some(End::Close));
            }
            "foreach" => {
                flush(text, nodes);
                self.open_paren(start)?;
                self.skip_ws();
                let var_at = self.pos;
                let (var, _, _) = self.reference()?;
                if !var.chain.is_empty() {
                    return Err(self.error(var_at, "#foreach needs a plain variable"));
                }
                self.skip_ws();
                if !self.starts_with("in") || self.peek_at(2).is_some_and(is_ident) {
                    return Err(self.error(self.pos, "#foreach needs `in`"));
                }
                self.pos += 2;
                let iterable = self.expr()?;
                self.close_paren(start, "#foreach")?;
                self.eat_line_end();
                let (body, end) = self.block()?;
                if !matches!(end, End::Close) {
                    return Err(self.error(start, "#foreach without #end"));
                }
                nodes.push(Node::Foreach {
                    var: var.root,
                    iterable,
                    body,
                });
            }
            "break" | "stop" => {
                flush(text, nodes);
                // `#break($foreach)` names the scope; there is only one kind here.
                if self.peek() == Some(b'(') {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'$') {
                        self.reference()?;
                    }
                    self.close_paren(start, "#break")?;
                }
                self.eat_line_end();
                nodes.push(if name == "break" {
                    Node::Break
                } else {
                    Node::Stop
                });
            }
            _ => {
                // "macro"
                flush(text, nodes);
                self.open_paren(start)?;
                self.skip_ws();
                let name_at = self.pos;
                while self.peek().is_some_and(is_ident) {
                    self.pos += 1;
                }
                let macro_name: Box<str> = self.src[name_at..self.pos].into();
                if macro_name.is_empty() {
                    return Err(self.error(name_at, "#macro needs a name"));
                }
                let mut params = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(b')') => {
                            self.pos += 1;
                            break;
                        }
                        Some(b',') => self.pos += 1,
                        Some(b'$') => {
                            let (r, _, _) = self.reference()?;
                            params.push(r.root);
                        }
                        _ => return Err(self.error(self.pos, "#macro parameters are $names")),
                    }
                }
                self.eat_line_end();
                let (body, end) = self.block()?;
                if !matches!(end, End::Close) {
                    return Err(self.error(start, "#macro without #end"));
                }
                self.macros
                    .insert(macro_name, Arc::new(Macro { params, body }));
            }
        }
        Ok(None)
    }

    /// `#name(args)`: a macro call; anything else after `#` is text.
    fn macro_call(
        &mut self,
        start: usize,
        name: &str,
        text: &mut String,
        nodes: &mut Vec<Node>,
    ) -> Result<(), ParseError> {
        let after_name = self.pos;
        self.skip_blanks();
        if self.peek() != Some(b'(') {
            self.pos = start + 1;
            text.push('#');
            return Ok(());
        }
        self.pos += 1;
        let mut args = Vec::new();
        let parsed = loop {
            self.skip_ws();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    break true;
                }
                Some(b',') => self.pos += 1,
                None => break false,
                _ => match self.expr() {
                    Ok(e) => args.push(e),
                    Err(_) => break false,
                },
            }
        };
        if !parsed {
            // Not a call after all (`#tag(…` in prose): text.
            self.pos = after_name.min(start + 1);
            text.push('#');
            return Ok(());
        }
        flush(text, nodes);
        nodes.push(Node::Call {
            name: name.into(),
            args,
            source: self.src[start..self.pos].into(),
        });
        Ok(())
    }

    fn open_paren(&mut self, directive: usize) -> Result<(), ParseError> {
        self.skip_blanks();
        if self.peek() != Some(b'(') {
            return Err(self.error(directive, "directive needs `(`"));
        }
        self.pos += 1;
        Ok(())
    }

    fn close_paren(&mut self, directive: usize, what: &str) -> Result<(), ParseError> {
        self.skip_ws();
        if self.peek() != Some(b')') {
            return Err(self.error(
                if self.pos >= self.end {
                    directive
                } else {
                    self.pos
                },
                format!("{what} needs `)`"),
            ));
        }
        self.pos += 1;
        Ok(())
    }

    fn paren_expr(&mut self, directive: usize, what: &str) -> Result<Expr, ParseError> {
        self.open_paren(directive)?;
        let e = self.expr()?;
        self.close_paren(directive, what)?;
        Ok(e)
    }

    /// After a directive: blanks and one newline belong to it.
    fn eat_line_end(&mut self) {
        let save = self.pos;
        self.skip_blanks();
        match self.peek() {
            Some(b'\n') => self.pos += 1,
            Some(b'\r') => {
                self.pos += 1;
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
            }
            _ => self.pos = save,
        }
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// A reference in text: `None` when the `$` starts none (`$5`, `${`, a lone `$`).
    fn text_reference(&mut self) -> Result<Option<Node>, ParseError> {
        let start = self.pos;
        let mut p = self.pos + 1;
        let quiet = p < self.end && self.b[p] == b'!';
        if quiet {
            p += 1;
        }
        let braced = p < self.end && self.b[p] == b'{';
        if braced {
            p += 1;
        }
        if p >= self.end || !is_ident_start(self.b[p]) {
            return Ok(None);
        }
        let (reference, _, complete) = self.reference()?;
        if !complete {
            return Ok(None);
        }
        Ok(Some(Node::Ref {
            reference,
            quiet,
            source: self.src[start..self.pos].into(),
        }))
    }

    /// `$name…` at `self.pos`: the reference, whether it was quiet, and whether a formal
    /// `${…}` was closed.
    fn reference(&mut self) -> Result<(Reference, bool, bool), ParseError> {
        self.enter()?;
        let start = self.pos;
        self.pos += 1;
        let quiet = self.peek() == Some(b'!');
        if quiet {
            self.pos += 1;
        }
        let braced = self.peek() == Some(b'{');
        if braced {
            self.pos += 1;
        }
        if !self.peek().is_some_and(is_ident_start) {
            return Err(self.error(start, "expected a reference name after `$`"));
        }
        let name_start = self.pos;
        while self.peek().is_some_and(is_ident) {
            self.pos += 1;
        }
        let root: Box<str> = self.src[name_start..self.pos].into();
        let mut chain = Vec::new();
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some(b'.'), Some(c)) if is_ident_start(c) => {
                    self.pos += 1;
                    let at = self.pos;
                    while self.peek().is_some_and(is_ident) {
                        self.pos += 1;
                    }
                    let name: Box<str> = self.src[at..self.pos].into();
                    if self.peek() == Some(b'(') {
                        self.pos += 1;
                        let args = self.args(b')')?;
                        chain.push(Access::Method(name, args));
                    } else {
                        chain.push(Access::Property(name));
                    }
                }
                (Some(b'['), _) => {
                    let save = self.pos;
                    self.pos += 1;
                    match self.expr() {
                        Ok(index) => {
                            self.skip_ws();
                            if self.peek() == Some(b']') {
                                self.pos += 1;
                                chain.push(Access::Index(index));
                            } else {
                                self.pos = save;
                                break;
                            }
                        }
                        Err(_) => {
                            self.pos = save;
                            break;
                        }
                    }
                }
                _ => break,
            }
        }
        let mut complete = true;
        if braced {
            if self.peek() == Some(b'}') {
                self.pos += 1;
            } else {
                complete = false;
            }
        }
        self.depth -= 1;
        Ok((Reference { root, chain }, quiet, complete))
    }

    /// Comma-separated expressions up to `close`.
    fn args(&mut self, close: u8) -> Result<Vec<Expr>, ParseError> {
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(args);
                }
                _ => {
                    return Err(self.error(
                        self.pos.min(self.end),
                        format!("expected `,` or `{}`", close as char),
                    ));
                }
            }
        }
    }

    /// An expression.
    pub(crate) fn expr(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let e = self.binary(0);
        self.depth -= 1;
        e
    }

    /// The operator at the cursor with its precedence level and length, if any.
    fn operator(&self) -> Option<(BinOp, usize, usize)> {
        let rest = &self.b[self.pos..self.end];
        let word = |w: &str| {
            rest.starts_with(w.as_bytes()) && !rest.get(w.len()).copied().is_some_and(is_ident)
        };
        // Symbols first (longest first), then words, which must end where a name would.
        const SYMBOLS: &[(&str, BinOp)] = &[
            ("||", BinOp::Or),
            ("&&", BinOp::And),
            ("==", BinOp::Eq),
            ("!=", BinOp::Ne),
            ("<=", BinOp::Le),
            (">=", BinOp::Ge),
            ("<", BinOp::Lt),
            (">", BinOp::Gt),
            ("+", BinOp::Add),
            ("-", BinOp::Sub),
            ("*", BinOp::Mul),
            ("/", BinOp::Div),
            ("%", BinOp::Mod),
        ];
        const WORDS: &[(&str, BinOp)] = &[
            ("or", BinOp::Or),
            ("and", BinOp::And),
            ("eq", BinOp::Eq),
            ("ne", BinOp::Ne),
            ("le", BinOp::Le),
            ("ge", BinOp::Ge),
            ("lt", BinOp::Lt),
            ("gt", BinOp::Gt),
        ];
        let found = SYMBOLS
            .iter()
            .find(|(s, _)| rest.starts_with(s.as_bytes()))
            .or_else(|| WORDS.iter().find(|(w, _)| word(w)))
            .map(|&(s, op)| (op, s.len()))?;
        let level = match found.0 {
            BinOp::Or => 0,
            BinOp::And => 1,
            BinOp::Eq | BinOp::Ne => 2,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div | BinOp::Mod => 5,
        };
        Some((found.0, level, found.1))
    }

    /// Precedence climbing over the binary operators; all associate to the left.
    fn binary(&mut self, min: usize) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        loop {
            self.skip_ws();
            let Some((op, level, len)) = self.operator() else {
                break;
            };
            if level < min {
                break;
            }
            self.pos += len;
            self.enter()?;
            let right = self.binary(level + 1);
            self.depth -= 1;
            left = Expr::Binary(op, Box::new(left), Box::new(right?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        self.skip_ws();
        let rest = &self.b[self.pos..self.end];
        if rest.starts_with(b"!") && !rest.starts_with(b"!=") {
            self.pos += 1;
            self.enter()?;
            let e = self.unary();
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(e?)));
        }
        if rest.starts_with(b"not") && !rest.get(3).copied().is_some_and(is_ident) {
            self.pos += 3;
            self.enter()?;
            let e = self.unary();
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(e?)));
        }
        if rest.starts_with(b"-") && !rest.get(1).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
            self.enter()?;
            let e = self.unary();
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(e?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        self.skip_ws();
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Err(self.error(start, "expected an expression"));
        };
        match c {
            b'$' => {
                let (r, _, complete) = self.reference()?;
                if !complete {
                    return Err(self.error(start, "`${` without `}`"));
                }
                Ok(Expr::Ref(r))
            }
            b'\'' | b'"' => self.string(c),
            b'0'..=b'9' | b'-' => self.number(),
            b'[' => {
                self.pos += 1;
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Expr::List(Vec::new()));
                }
                let first = self.expr()?;
                self.skip_ws();
                if self.starts_with("..") {
                    self.pos += 2;
                    let last = self.expr()?;
                    self.skip_ws();
                    if self.peek() != Some(b']') {
                        return Err(self.error(self.pos, "a range needs `]`"));
                    }
                    self.pos += 1;
                    return Ok(Expr::Range(Box::new(first), Box::new(last)));
                }
                let mut items = vec![first];
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => {
                            self.pos += 1;
                            items.push(self.expr()?);
                        }
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Expr::List(items));
                        }
                        _ => return Err(self.error(self.pos, "a list needs `,` or `]`")),
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                let mut entries = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Expr::Map(entries));
                }
                loop {
                    let key = self.expr()?;
                    self.skip_ws();
                    if self.peek() != Some(b':') {
                        return Err(self.error(self.pos, "a map entry needs `:`"));
                    }
                    self.pos += 1;
                    let value = self.expr()?;
                    entries.push((key, value));
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Expr::Map(entries));
                        }
                        _ => return Err(self.error(self.pos, "a map needs `,` or `}`")),
                    }
                }
            }
            b'(' => {
                self.pos += 1;
                let e = self.expr()?;
                self.skip_ws();
                if self.peek() != Some(b')') {
                    return Err(self.error(self.pos, "expected `)`"));
                }
                self.pos += 1;
                Ok(e)
            }
            _ if self.starts_with("true") && !self.peek_at(4).is_some_and(is_ident) => {
                self.pos += 4;
                Ok(Expr::Bool(true))
            }
            _ if self.starts_with("false") && !self.peek_at(5).is_some_and(is_ident) => {
                self.pos += 5;
                Ok(Expr::Bool(false))
            }
            _ => Err(self.error(
                start,
                format!(
                    "unexpected `{}`",
                    self.src[start..].chars().next().unwrap_or(' ')
                ),
            )),
        }
    }

    fn number(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let float =
            self.peek() == Some(b'.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit());
        if float {
            self.pos += 1;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        let text = &self.src[start..self.pos];
        if float {
            text.parse()
                .map(Expr::Float)
                .map_err(|_| self.error(start, "bad number"))
        } else {
            match text.parse() {
                Ok(i) => Ok(Expr::Int(i)),
                // Java's literal is then a Long/BigInteger; a double keeps the magnitude.
                Err(_) => text
                    .parse()
                    .map(Expr::Float)
                    .map_err(|_| self.error(start, "bad number")),
            }
        }
    }

    /// A string literal: single quotes are literal; double quotes interpolate. A quote is
    /// written doubled inside (`'it''s'`); backslashes stay as written, as in Velocity.
    fn string(&mut self, quote: u8) -> Result<Expr, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let content_start = self.pos;
        let mut doubled = false;
        loop {
            match self.peek() {
                None => return Err(self.error(start, "unterminated string")),
                Some(c) if c == quote => {
                    if self.peek_at(1) == Some(quote) {
                        doubled = true;
                        self.pos += 2;
                    } else {
                        break;
                    }
                }
                Some(_) => self.pos += 1,
            }
        }
        let content_end = self.pos;
        self.pos += 1;
        let raw = &self.src[content_start..content_end];
        let q = if quote == b'"' { "\"" } else { "'" };
        let text: Box<str> = if doubled {
            raw.replace(&format!("{q}{q}"), q).into()
        } else {
            raw.into()
        };
        if quote == b'\'' || !(raw.contains('$') || raw.contains('#')) {
            return Ok(Expr::Str(text));
        }
        // Interpolation: the inside is a template of its own, parsed in place so that error
        // positions are the outer ones (unless quotes were doubled, which needs the unescaped
        // text; positions are then relative to the string).
        let (nodes, macros) = if doubled {
            let mut own = Parser::new(&text);
            own.depth = self.depth;
            (own.template()?, own.macros)
        } else {
            let mut inner = Parser {
                src: self.src,
                b: self.b,
                pos: content_start,
                end: content_end,
                depth: self.depth,
                macros: HashMap::new(),
            };
            (inner.template()?, inner.macros)
        };
        self.macros.extend(macros);
        Ok(Expr::Interpolated(nodes))
    }
}

fn flush(text: &mut String, nodes: &mut Vec<Node>) {
    if !text.is_empty() {
        nodes.push(Node::Text(std::mem::take(text).into_boxed_str()));
    }
}
