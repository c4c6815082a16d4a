//! Parsing `Fn::Sub` strings: `${Name}`, `${Resource.Attribute}` and the `${!Literal}` escape.

/// One part of a `Fn::Sub` string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// A `${...}` variable: a parameter, a resource (`Ref`), `Resource.Attribute` (`GetAtt`), or
    /// a name from the second argument's map.
    Var(String),
}

/// Splits a `Fn::Sub` string into text and variables.
pub fn parse_sub(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        text.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        if let Some(literal) = after.strip_prefix('!') {
            // `${!Name}` writes `${Name}` literally.
            text.push_str("${");
            rest = literal;
            continue;
        }
        let Some(end) = after.find('}') else {
            return Err("`${` without a closing `}`".to_string());
        };
        let name = after[..end].trim();
        if name.is_empty() {
            return Err("empty `${}`".to_string());
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(std::mem::take(&mut text)));
        }
        pieces.push(Piece::Var(name.to_string()));
        rest = &after[end + 1..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_text_and_literals() {
        assert_eq!(
            parse_sub("arn:${AWS::Partition}:x/${Fn.Arn}-${!Literal}").unwrap(),
            vec![
                Piece::Text("arn:".into()),
                Piece::Var("AWS::Partition".into()),
                Piece::Text(":x/".into()),
                Piece::Var("Fn.Arn".into()),
                Piece::Text("-${Literal}".into()),
            ]
        );
        assert!(parse_sub("a ${b").is_err());
        assert_eq!(
            parse_sub("plain").unwrap(),
            vec![Piece::Text("plain".into())]
        );
    }
}
