//! The parser: template text to a tree, once, at load time.
//!
//! Velocity's grammar is text with two escapes into code: references (`$x.y(…)`) and
//! directives (`#if(…)`). Text that only looks like code (`$5`, `#fff`, `$.a` inside a string)
//! stays text, as Velocity leaves it.
//!
//! One recursive-descent parser reads the bytes directly (there is no separate lexer): the
//! template level is in `directive.rs`, the expression level in `expr.rs`; `cursor.rs` holds
//! the state and steps they share, and `ast.rs` the tree they build.

mod ast;
mod cursor;
mod directive;
mod expr;

pub(crate) use ast::{Access, BinOp, Expr, Macro, Node, Reference};
pub(crate) use cursor::Parser;
