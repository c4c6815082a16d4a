//! `lambdagate generate-event SERVICE EVENT [--option value]…`: prints a sample event, as
//! `sam local generate-event` does, for `invoke -e -`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use anyhow::bail;

use crate::cli::GenerateEventArgs;
use crate::sample_events;

/// Prints the event, or what there is to choose from when the service or event is missing.
pub fn run(args: GenerateEventArgs) -> anyhow::Result<ExitCode> {
    let mut out = String::new();
    let Some(service) = args.service else {
        out.push_str("Services (lambdagate generate-event SERVICE EVENT [--OPTION VALUE]...):\n");
        for service in sample_events::services() {
            let events: Vec<&str> = sample_events::events(service)
                .iter()
                .map(|k| k.event)
                .collect();
            writeln!(out, "  {service:<15} {}", events.join(", "))?;
        }
        return print(&out);
    };
    let events = sample_events::events(&service);
    if events.is_empty() {
        bail!(
            "no sample events for service `{service}`; lambdagate has: {}",
            sample_events::services().join(", ")
        );
    }
    let Some(event) = args.event else {
        writeln!(out, "Events of {service}:")?;
        for kind in &events {
            writeln!(
                out,
                "  {:<20} {}; options: {}",
                kind.event,
                kind.help,
                kind.option_list()
            )?;
        }
        return print(&out);
    };
    let Some(kind) = events.iter().find(|k| k.event == event) else {
        let names: Vec<&str> = events.iter().map(|k| k.event).collect();
        bail!(
            "no sample event `{event}` for {service}; its events: {}",
            names.join(", ")
        );
    };
    let options = options(&args.options)?;
    let generated = kind.generate(&options).map_err(anyhow::Error::msg)?;
    out = serde_json::to_string_pretty(&generated)?;
    out.push('\n');
    print(&out)
}

/// Writes `text` to stdout; a reader that closed the pipe early (`| head`) is not an error.
fn print(text: &str) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// `--name value` and `--name=value` pairs.
fn options(words: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut words = words.iter();
    while let Some(word) = words.next() {
        let Some(name) = word.strip_prefix("--") else {
            bail!("expected an option like --method GET, not `{word}`");
        };
        match name.split_once('=') {
            Some((name, value)) => out.push((name.to_string(), value.to_string())),
            None => match words.next() {
                Some(value) => out.push((name.to_string(), value.clone())),
                None => bail!("--{name} needs a value"),
            },
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::options;

    #[test]
    fn options_come_as_pairs_in_either_spelling() {
        let words: Vec<String> = ["--method", "GET", "--body=", "--path", "--x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            options(&words).unwrap(),
            vec![
                ("method".to_string(), "GET".to_string()),
                ("body".to_string(), String::new()),
                ("path".to_string(), "--x".to_string()),
            ]
        );
        assert!(options(&["GET".to_string()]).is_err());
        assert!(options(&["--method".to_string()]).is_err());
    }
}
