//! The expression level: references with their property, index and method chains, and
//! operators, literals, lists, maps and ranges, by precedence.

use std::collections::HashMap;

use super::ast::{Access, BinOp, Expr, Reference};
use super::cursor::{Parser, is_ident, is_ident_start};
use crate::ParseError;

impl<'a> Parser<'a> {
    /// `$name…` at `self.pos`: the reference, whether it was quiet, and whether a formal
    /// `${…}` was closed.
    pub(super) fn reference(&mut self) -> Result<(Reference, bool, bool), ParseError> {
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
    pub(super) fn args(&mut self, close: u8) -> Result<Vec<Expr>, ParseError> {
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
