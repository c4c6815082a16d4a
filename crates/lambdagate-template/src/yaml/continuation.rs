//! Lines PyYAML reads and a YAML 1.2 parser refuses: the continuation lines of a flow
//! collection (`[…]`, `{…}`) or a quoted scalar indented no deeper than the block the
//! construct sits in, e.g. a JSON schema pasted under `Schema: {` with its lines at the
//! key's column. `sam` reads templates with PyYAML, so such templates deploy.
//!
//! Inside those constructs the leading spaces of a continuation line are not content (YAML
//! folds each line break and the spaces around it), so indenting the lines deeper gives the
//! text a YAML 1.2 parser accepts with the value PyYAML reads. Only the construct the parser
//! stopped at is changed, one at a time, so the rest of the text is read as written.

/// A flow collection or quoted scalar; lines and columns are 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Construct {
    /// The line of its opening character.
    pub start_line: usize,
    /// The column of its opening character.
    pub start_col: usize,
    /// The line of its closing character (the last line when it is never closed).
    pub end_line: usize,
    /// The column of its start line's content after any `- ` sequence indicators: the
    /// block it sits in, whose column its continuation lines must pass.
    pub base: usize,
}

/// Where the scanner is, between lines.
#[derive(Default)]
struct State {
    /// Open brackets and braces.
    depth: usize,
    /// The quote of the scalar being read, if one is open.
    quote: Option<char>,
    /// Where the outermost open construct started: line, column, base.
    open: Option<(usize, usize, usize)>,
    /// The base of the key a block scalar (`|`, `>`) belongs to, while its lines last.
    block_scalar: Option<usize>,
}

impl State {
    fn is_open(&self) -> bool {
        self.depth > 0 || self.quote.is_some()
    }
}

/// The outermost flow collections and quoted scalars of `text` that span more than one line.
pub(super) fn multiline_constructs(text: &str) -> Vec<Construct> {
    let mut found = Vec::new();
    let mut st = State::default();
    let mut last = 0;
    for (n, line) in text.split('\n').enumerate() {
        last = n;
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(parent) = st.block_scalar {
            if line.trim().is_empty() || indent > parent {
                continue;
            }
            st.block_scalar = None;
        }
        let base = if st.is_open() {
            0
        } else {
            content_column(line, indent)
        };
        scan_line(line, n, base, &mut st, &mut found);
        if !st.is_open() && ends_with_block_scalar_indicator(line) {
            st.block_scalar = Some(base);
        }
    }
    if let Some((start_line, start_col, base)) = st.open {
        found.push(Construct {
            start_line,
            start_col,
            end_line: last,
            base,
        });
    }
    found.retain(|c| c.end_line > c.start_line);
    found
}

/// `text` with every continuation line of `c` (blank lines aside) indented past its base.
pub(super) fn indent_deeper(text: &str, c: &Construct) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if n > c.start_line && n <= c.end_line && !line.trim().is_empty() && indent <= c.base {
            out.extend(std::iter::repeat_n(' ', c.base + 1 - indent));
        }
        out.push_str(line);
    }
    out
}

/// The column of a line's content after any `- ` sequence indicators.
fn content_column(line: &str, indent: usize) -> usize {
    let bytes = line.as_bytes();
    let mut col = indent;
    while bytes.get(col) == Some(&b'-') && matches!(bytes.get(col + 1), Some(b' ')) {
        col += 1;
        while bytes.get(col) == Some(&b' ') {
            col += 1;
        }
    }
    col
}

/// Reads one line's characters, opening and closing constructs.
fn scan_line(line: &str, n: usize, base: usize, st: &mut State, found: &mut Vec<Construct>) {
    // The last non-space character before this one on the line, whether a space (or the
    // line's start) comes right before this one, and the first character of the last token
    // begun: enough to tell where a node may start.
    let mut prev: Option<char> = None;
    let mut after_space = true;
    let mut token_first: Option<char> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((col, c)) = chars.next() {
        if let Some(q) = st.quote {
            let closes = if q == '"' {
                if c == '\\' {
                    chars.next();
                    false
                } else {
                    c == '"'
                }
            } else if c == '\'' {
                if chars.peek().map(|&(_, d)| d) == Some('\'') {
                    chars.next();
                    false
                } else {
                    true
                }
            } else {
                false
            };
            if closes {
                st.quote = None;
                close_if_outermost(st, n, found);
            }
        } else {
            let node_start = match prev {
                None => true,
                Some(p) if st.depth > 0 && matches!(p, '[' | '{' | ',' | ':') => true,
                Some(p) if after_space && matches!(p, ':' | '-' | '?') => true,
                // Right after a tag or an anchor (`!Sub "…"`).
                Some(_) => after_space && matches!(token_first, Some('!' | '&')),
            };
            match c {
                '#' if after_space => return,
                '"' | '\'' if node_start => {
                    open_if_outermost(st, n, col, base);
                    st.quote = Some(c);
                }
                '[' | '{' if st.depth > 0 || node_start => {
                    open_if_outermost(st, n, col, base);
                    st.depth += 1;
                }
                ']' | '}' if st.depth > 0 => {
                    st.depth -= 1;
                    close_if_outermost(st, n, found);
                }
                _ => {}
            }
        }
        if c == ' ' || c == '\t' {
            after_space = true;
        } else {
            if after_space {
                token_first = Some(c);
            }
            after_space = false;
            prev = Some(c);
        }
    }
}

fn open_if_outermost(st: &mut State, line: usize, col: usize, base: usize) {
    if !st.is_open() {
        st.open = Some((line, col, base));
    }
}

fn close_if_outermost(st: &mut State, line: usize, found: &mut Vec<Construct>) {
    if st.is_open() {
        return;
    }
    if let Some((start_line, start_col, base)) = st.open.take() {
        found.push(Construct {
            start_line,
            start_col,
            end_line: line,
            base,
        });
    }
}

/// Whether a line ends (before any comment) with a block scalar's indicator: `|`, `>`, with
/// chomping and indentation indicators (`|-`, `>+2`).
fn ends_with_block_scalar_indicator(line: &str) -> bool {
    let code = match line.find(" #") {
        Some(i) => &line[..i],
        None => line,
    };
    let Some(last) = code.split_whitespace().last() else {
        return false;
    };
    let mut chars = last.chars();
    matches!(chars.next(), Some('|' | '>'))
        && chars.all(|c| c.is_ascii_digit() || c == '+' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_mapping_under_a_key_spans_its_lines() {
        let text = "a:\n  Schema: {\"x\": 1,\n  \"y\": [2,\n    3]}\nb: 1\n";
        let found = multiline_constructs(text);
        assert_eq!(
            found,
            vec![Construct {
                start_line: 1,
                start_col: 10,
                end_line: 3,
                base: 2
            }]
        );
        assert_eq!(
            indent_deeper(text, &found[0]),
            "a:\n  Schema: {\"x\": 1,\n   \"y\": [2,\n    3]}\nb: 1\n"
        );
    }

    #[test]
    fn a_quoted_scalar_with_escapes_comment_marks_and_brackets_inside() {
        let text = "k:\n  v: { \"a\": \"#set( $x = 1) \\\n  {\\\"T\\\": [\\\"x\\\"]\\\n  #if(y) \\\"\" }\n  w: 'it''s\n  ok'\n";
        let found = multiline_constructs(text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            (found[0].start_line, found[0].end_line, found[0].base),
            (1, 3, 2)
        );
        assert_eq!(
            (found[1].start_line, found[1].end_line, found[1].base),
            (4, 5, 2)
        );
    }

    #[test]
    fn plain_text_block_scalars_and_comments_open_nothing() {
        let text = "a: it's [not] {a flow}\nb: |\n  [\"open\n  'open\nc: x # ' [ {\n- d: >-\n    {\n  e: 1\n";
        assert_eq!(multiline_constructs(text), vec![]);
    }

    #[test]
    fn a_sequence_entrys_base_is_past_its_dashes() {
        let text = "- - k: [1,\n  2]\n";
        let found = multiline_constructs(text);
        assert_eq!(found[0].base, 4);
        assert_eq!(indent_deeper(text, &found[0]), "- - k: [1,\n     2]\n");
    }

    #[test]
    fn a_tagged_quoted_scalar_opens() {
        let found = multiline_constructs("a: !Sub \"x\n  y\"\n");
        assert_eq!(
            (found[0].start_line, found[0].start_col, found[0].end_line),
            (0, 8, 1)
        );
    }
}
