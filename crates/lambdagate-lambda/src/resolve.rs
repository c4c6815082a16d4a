//! Finding a function by what callers name it: logical id, function name, `name:qualifier`,
//! a full ARN or a partial one (`123456789012:function:name`), as the Invoke API accepts.

use lambdagate_model::Application;

/// A resolved name: which function, and the qualifier the caller gave, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Index into `Application::functions`.
    pub index: usize,
    /// `$LATEST`, a version number or an alias.
    pub qualifier: Option<String>,
}

/// Splits `name` the way Lambda reads FunctionName and finds the function.
/// Returns the ARN Lambda would name in "Function not found" on failure.
pub fn resolve(app: &Application, name: &str) -> Result<Resolved, String> {
    let (bare, qualifier) = split(name);
    let index = app
        .functions
        .iter()
        .position(|f| f.logical_id == bare)
        .or_else(|| app.functions.iter().position(|f| f.function_name == bare));
    match index {
        Some(index) => Ok(Resolved {
            index,
            qualifier: qualifier.map(str::to_string),
        }),
        None => Err(arn_of(app, bare, qualifier)),
    }
}

/// The ARN of a function name (with its qualifier), as errors name it.
pub fn arn_of(app: &Application, name: &str, qualifier: Option<&str>) -> String {
    let mut arn = format!(
        "arn:aws:lambda:{}:{}:function:{name}",
        app.region, app.account_id
    );
    if let Some(q) = qualifier {
        arn.push(':');
        arn.push_str(q);
    }
    arn
}

/// `(name, qualifier)` of any accepted form.
fn split(name: &str) -> (&str, Option<&str>) {
    let parts: Vec<&str> = name.split(':').collect();
    match parts.as_slice() {
        // arn:aws:lambda:region:account:function:name[:qualifier]
        ["arn", _, "lambda", _, _, "function", name] => (name, None),
        ["arn", _, "lambda", _, _, "function", name, q] => (name, Some(q)),
        // account:function:name[:qualifier]
        [_, "function", name] => (name, None),
        [_, "function", name, q] => (name, Some(q)),
        [name, q] => (name, Some(q)),
        _ => (name, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_splits() {
        assert_eq!(split("f"), ("f", None));
        assert_eq!(split("f:$LATEST"), ("f", Some("$LATEST")));
        assert_eq!(
            split("arn:aws:lambda:us-east-1:123456789012:function:f"),
            ("f", None)
        );
        assert_eq!(
            split("arn:aws:lambda:us-east-1:123456789012:function:f:live"),
            ("f", Some("live"))
        );
        assert_eq!(split("123456789012:function:f"), ("f", None));
    }
}
