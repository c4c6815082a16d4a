//! Request validation (REST): required parameters and the body's model
//! (`BAD_REQUEST_PARAMETERS`, `BAD_REQUEST_BODY`), as the method's request validator says.
//! Parameters are checked before the body, as AWS does.

use lambdagate_model::ParameterLocation;

use crate::context::RequestContext;
use crate::responses::ResponseType;
use crate::responses::error::GatewayError;
use crate::validation::Invalid;

/// Checks the request against the method's validator.
pub fn run(cx: &RequestContext<'_>) -> Result<(), GatewayError> {
    let Some(validation) = cx.route.and_then(|(_, r)| r.validation.as_ref()) else {
        return Ok(());
    };
    let present = |location: ParameterLocation, name: &str| -> bool {
        // Present and not blank (`?q=` and an empty header are missing, spec §9).
        match location {
            ParameterLocation::Header => cx
                .request
                .headers
                .iter()
                .any(|(n, v)| n.eq_ignore_ascii_case(name) && !v.trim().is_empty()),
            ParameterLocation::QueryString => {
                cx.query_value(name).is_some_and(|v| !v.trim().is_empty())
            }
            ParameterLocation::Path => cx.path_parameter(name).is_some_and(|v| !v.is_empty()),
        }
    };
    match validation.check(present, cx.request.header("content-type"), &cx.request.body) {
        Ok(()) => Ok(()),
        Err(Invalid::Parameters(names)) => {
            Err(GatewayError::new(ResponseType::BadRequestParameters)
                .with_message(format!(
                    "Missing required request parameters: [{}]",
                    names.join(", ")
                ))
                .with_detail(format!(
                    "[Missing required request parameters: [{}]]",
                    names.join(", ")
                )))
        }
        Err(Invalid::Body(why)) => Err(GatewayError::new(ResponseType::BadRequestBody)
            .with_message("Invalid request body")
            .with_detail(why)),
        Err(Invalid::Model(why)) => Err(GatewayError::api_configuration(format!(
            "the request model cannot be used: {why}"
        ))),
    }
}
