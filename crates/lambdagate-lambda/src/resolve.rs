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
    let index = app.function_index(bare);
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

    fn function(logical_id: &str, function_name: &str) -> lambdagate_model::Function {
        lambdagate_model::Function {
            logging: Default::default(),
            logical_id: logical_id.into(),
            function_name: function_name.into(),
            arn: String::new(),
            runtime: "python3.12".into(),
            family: lambdagate_model::RuntimeFamily::Python,
            handler: Some("app.handler".into()),
            code_dir: "/code".into(),
            environment: Default::default(),
            timeout_secs: 3,
            memory_mb: 128,
            layers: Vec::new(),
            reserved_concurrency: None,
            architectures: Vec::new(),
            source: Default::default(),
        }
    }

    #[test]
    fn nested_functions_by_path_name_or_their_id_in_their_stack() {
        let mut app =
            Application::empty("t.yaml".into(), "s".into(), "us-east-1".into(), "1".into());
        app.functions = vec![
            function("Echo", "Echo"),
            function("SubApp/Named", "customname"),
            function("SubApp/Echo", "SubApp-Echo"),
        ];
        let index = |name: &str| resolve(&app, name).map(|r| r.index).ok();
        assert_eq!(index("SubApp/Named"), Some(1));
        assert_eq!(index("customname"), Some(1));
        // As `sam local` finds it: the logical id in its own stack.
        assert_eq!(index("Named"), Some(1));
        // The top-level function of that id comes first.
        assert_eq!(index("Echo"), Some(0));
        assert_eq!(index("SubApp/Echo"), Some(2));
        assert_eq!(index("Nope"), None);
    }
}
