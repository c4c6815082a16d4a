//! The mock integration: the gateway answers by itself. The request template (VTL) renders a
//! JSON document whose `statusCode` selects the integration response, whose parameters and
//! template make the answer; the mock's own body is empty.

use lambdagate_model::Integration as ModelIntegration;

use super::mapping::{RawAnswer, RequestMapping, ResponseMapping, Selector};
use super::template::{self, Overrides, TemplateInput};
use super::{Integration, IntegrationOutput, IntegrationRequest};
use crate::backend::Backend;
use crate::responses::error::GatewayError;

/// A mock integration, compiled.
#[derive(Debug, Clone)]
pub struct Mock {
    request: RequestMapping,
    responses: ResponseMapping,
}

impl Mock {
    /// Compiles a mock integration; `Err` says which template or pattern does not compile.
    pub fn compile(integration: &ModelIntegration) -> Result<Mock, String> {
        Ok(Mock {
            request: RequestMapping::compile(integration)?,
            responses: ResponseMapping::compile(&integration.integration_responses)?,
        })
    }
}

/// The `statusCode` of a mock's rendered request template. AWS also reads the lax form CDK
/// writes (`{ statusCode: 200 }`), so a document that is not JSON is searched for the key.
pub fn status_code(rendered: &str) -> Option<u16> {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(rendered) {
        return json
            .get("statusCode")
            .and_then(serde_json::Value::as_u64)
            .and_then(|s| u16::try_from(s).ok());
    }
    let at = rendered.find("statusCode")?;
    let rest = rendered[at + "statusCode".len()..].trim_start_matches(['"', '\'']);
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

impl Integration for Mock {
    async fn call(
        &self,
        r: &IntegrationRequest<'_>,
        _backend: &dyn Backend,
    ) -> Result<IntegrationOutput, GatewayError> {
        let cx = r.cx;
        let template = self.request.select(cx.request.header("content-type"))?;
        let (status, overrides) = match template {
            Some(t) => {
                let input = TemplateInput {
                    cx,
                    body: &cx.request.body,
                    overrides: &Overrides::default(),
                };
                let (rendered, overrides) = template::render(t, &input)?;
                let status = status_code(&rendered).ok_or_else(|| {
                    GatewayError::api_configuration(
                        "Unable to parse statusCode. It should be an integer that is defined in \
                         the request template.",
                    )
                })?;
                (status, overrides)
            }
            // Without a template the default integration response answers.
            None => (200, Overrides::default()),
        };
        let status = status.to_string();
        let mut output = self.responses.respond(
            cx,
            Selector::Status(&status),
            RawAnswer {
                body: b"",
                headers: &[],
            },
            &overrides,
            false,
        )?;
        if !output
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            output
                .headers
                .push(("Content-Type".into(), "application/json".into()));
        }
        Ok(output)
    }
}

#[cfg(test)]
mod tests {
    use super::status_code;

    #[test]
    fn lax_status_codes() {
        assert_eq!(status_code(r#"{"statusCode": 200}"#), Some(200));
        assert_eq!(status_code("{statusCode: 404}"), Some(404));
        assert_eq!(status_code("{ 'statusCode' : 500 }"), Some(500));
        assert_eq!(status_code(r#"{"statusCode": "x"}"#), None);
        assert_eq!(status_code("nothing"), None);
    }
}
