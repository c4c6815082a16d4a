//! The mock integration: the gateway answers by itself, from the integration's request template
//! (which picks the status) and the selected integration response.

use bytes::Bytes;
use lambdagate_model::Integration as ModelIntegration;

use super::{Integration, IntegrationOutput, IntegrationRequest, mapping};
use crate::backend::Backend;
use crate::responses::error::GatewayError;

/// A mock integration, compiled.
#[derive(Debug, Clone)]
pub struct Mock {
    status: u16,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Mock {
    /// Compiles a mock integration: the request template's `statusCode` selects the integration
    /// response whose static headers and template body form the answer.
    pub fn compile(integration: &ModelIntegration) -> Mock {
        // `{"statusCode": 200}` is how every mock selects its answer; without one, AWS uses 200.
        let status = integration
            .request_templates
            .iter()
            .find(|(ct, _)| ct == "application/json")
            .or_else(|| integration.request_templates.first())
            .and_then(|(_, t)| serde_json::from_str::<serde_json::Value>(t).ok())
            .and_then(|v| v.get("statusCode").and_then(serde_json::Value::as_u64))
            .unwrap_or(200);
        let responses = &integration.integration_responses;
        let chosen =
            mapping::select_response(responses, &status.to_string()).map(|i| &responses[i]);
        Mock {
            status: chosen.map_or(status as u16, |r| r.status_code),
            headers: chosen
                .map(mapping::static_response_headers)
                .unwrap_or_default(),
            body: chosen
                .and_then(|r| {
                    r.response_templates
                        .iter()
                        .find(|(ct, _)| ct == "application/json")
                        .or_else(|| r.response_templates.first())
                })
                .map(|(_, t)| Bytes::from(t.clone()))
                .unwrap_or_default(),
        }
    }
}

impl Integration for Mock {
    async fn call(
        &self,
        _request: &IntegrationRequest<'_>,
        _backend: &dyn Backend,
    ) -> Result<IntegrationOutput, GatewayError> {
        let mut headers = self.headers.clone();
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        Ok(IntegrationOutput {
            status: self.status,
            headers,
            body: self.body.clone(),
            traced: false,
        })
    }
}
