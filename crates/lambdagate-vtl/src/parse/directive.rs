//! The template level: text, comments, escapes, `$references` standing in text, and the
//! `#directives` (`#set`, `#if`, `#foreach`, `#macro`, macro calls, …) with their blocks.

use std::sync::Arc;

use super::ast::{Expr, Macro, Node};
use super::cursor::{Parser, is_ident, is_ident_start};
use crate::ParseError;

/// What ended a block.
enum End {
    Eof,
    Close,
    Else,
    ElseIf(Expr),
}

const DIRECTIVES: &[&str] = &[
    "set", "if", "elseif", "else", "end", "foreach", "break", "stop", "macro",
];

impl<'a> Parser<'a> {
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
}

fn flush(text: &mut String, nodes: &mut Vec<Node>) {
    if !text.is_empty() {
        nodes.push(Node::Text(std::mem::take(text).into_boxed_str()));
    }
}
