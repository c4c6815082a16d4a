//! The parser's state (where it is in the source, how deeply it nests, the macros defined so
//! far) and the byte-level steps both grammars share.

use std::collections::HashMap;
use std::sync::Arc;

use super::ast::Macro;
use crate::ParseError;

/// Deepest nesting of blocks and expressions the parser accepts.
const MAX_NESTING: usize = 128;

pub(crate) struct Parser<'a> {
    pub(super) src: &'a str,
    pub(super) b: &'a [u8],
    pub(super) pos: usize,
    pub(super) end: usize,
    pub(super) depth: usize,
    pub(crate) macros: HashMap<Box<str>, Arc<Macro>>,
}

pub(super) fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

pub(super) fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

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

    pub(super) fn peek(&self) -> Option<u8> {
        (self.pos < self.end).then(|| self.b[self.pos])
    }

    pub(super) fn peek_at(&self, offset: usize) -> Option<u8> {
        let at = self.pos + offset;
        (at < self.end).then(|| self.b[at])
    }

    pub(super) fn starts_with(&self, s: &str) -> bool {
        self.b[self.pos..self.end].starts_with(s.as_bytes())
    }

    pub(super) fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.error(self.pos, "the template nests too deeply"));
        }
        Ok(())
    }

    pub(super) fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    pub(super) fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }
}
