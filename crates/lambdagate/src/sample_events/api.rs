//! API Gateway (REST proxy, HTTP API, authorizers) and Application Load Balancer events.

use serde_json::{Map, Value, json};

use super::{EPOCH_SECONDS, Kind, Values};

/// The REST API id and request ids of the samples.
const API_ID: &str = "1234567890";
const REQUEST_ID: &str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef";
/// `$context.requestTime` of the sample instant.
const REQUEST_TIME: &str = "14/Nov/2023:22:13:20 +0000";
const TRACE_ID: &str = "Root=1-65540150-0123456789abcdef01234567";

pub const AWS_PROXY: Kind = Kind {
    service: "apigateway",
    event: "aws-proxy",
    help: "a REST API Lambda proxy event",
    options: &[
        ("body", "{\"test\":\"body\"}"),
        ("stage", "prod"),
        ("method", "POST"),
        ("resource", "/{proxy+}"),
        ("path", "path/to/resource"),
        ("querystringparameters", "{\"foo\": \"bar\"}"),
        ("account-id", "123456789012"),
        ("dns-suffix", "us-east-1.amazonaws.com"),
    ],
    build: aws_proxy,
};

pub const HTTP_API_PROXY: Kind = Kind {
    service: "apigateway",
    event: "http-api-proxy",
    help: "an HTTP API Lambda proxy event (payload format 2.0)",
    options: &[
        ("body", "{\"test\":\"body\"}"),
        ("stage", "$default"),
        ("method", "POST"),
        ("path", "path/to/resource"),
        ("querystringparameters", "{}"),
        ("account-id", "123456789012"),
        ("dns-suffix", "us-east-1.amazonaws.com"),
    ],
    build: http_api_proxy,
};

pub const AUTHORIZER: Kind = Kind {
    service: "apigateway",
    event: "authorizer",
    help: "a REST API TOKEN authorizer event",
    options: &[
        ("account-id", "123456789012"),
        ("partition", "aws"),
        ("region", "us-east-1"),
        ("stage", "prod"),
        ("method", "POST"),
        ("resource", "{proxy+}"),
        ("restApiId", "example"),
    ],
    build: token_authorizer,
};

pub const REQUEST_AUTHORIZER: Kind = Kind {
    service: "apigateway",
    event: "request-authorizer",
    help: "a REST API REQUEST authorizer event",
    options: &[
        ("account-id", "123456789012"),
        ("partition", "aws"),
        ("region", "us-east-1"),
        ("stage", "test"),
        ("method", "GET"),
        ("resource", "request"),
        ("restApiId", "abcdef123"),
    ],
    build: request_authorizer,
};

pub const ALB_REQUEST: Kind = Kind {
    service: "alb",
    event: "request",
    help: "an Application Load Balancer request event",
    options: &[
        ("body", "{\"test\":\"body\"}"),
        ("method", "POST"),
        ("path", "path/to/resource"),
        ("account-id", "123456789012"),
        ("dns-suffix", "us-east-2.elb.amazonaws.com"),
    ],
    build: alb_request,
};

/// `path` with one leading slash, however it was given.
fn absolute(path: &str) -> String {
    format!("/{}", path.trim_start_matches('/'))
}

/// The body as API Gateway passes a text body: none when empty.
fn body(values: &Values) -> Value {
    match values.get("body") {
        "" => Value::Null,
        text => Value::String(text.to_string()),
    }
}

/// `--querystringparameters`: a JSON object of names to a value or a list of values.
fn query(values: &Values) -> Result<Vec<(String, Vec<String>)>, String> {
    let text = values.get("querystringparameters");
    let refused = || {
        format!(
            "--querystringparameters must be a JSON object of names to strings or lists of \
             strings, like '{{\"foo\": \"bar\"}}', not {text:?}"
        )
    };
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return Err(refused());
    };
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    map.into_iter()
        .map(|(name, value)| {
            let list = match &value {
                Value::Array(items) => items.iter().map(scalar).collect::<Option<Vec<_>>>(),
                other => scalar(other).map(|s| vec![s]),
            };
            list.map(|l| (name, l)).ok_or_else(refused)
        })
        .collect()
}

/// Single-value and multi-value maps of `pairs` (the last value wins in the single map, as in
/// API Gateway's events); `null` for none.
fn value_maps(pairs: &[(String, Vec<String>)]) -> (Value, Value) {
    if pairs.is_empty() {
        return (Value::Null, Value::Null);
    }
    let mut single = Map::new();
    let mut multi = Map::new();
    for (name, list) in pairs {
        if let Some(last) = list.last() {
            single.insert(name.clone(), json!(last));
        }
        multi.insert(name.clone(), json!(list));
    }
    (Value::Object(single), Value::Object(multi))
}

/// The path parameters `resource` (`/items/{id}`, `/{proxy+}`) gives `path`; `null` when it
/// has none or does not match.
fn path_parameters(resource: &str, path: &str) -> Value {
    let template: Vec<&str> = resource.trim_matches('/').split('/').collect();
    let actual: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut out = Map::new();
    for (i, part) in template.iter().enumerate() {
        let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) else {
            if actual.get(i) != Some(part) {
                return Value::Null;
            }
            continue;
        };
        if let Some(greedy) = name.strip_suffix('+') {
            if i >= actual.len() {
                return Value::Null;
            }
            out.insert(greedy.to_string(), json!(actual[i..].join("/")));
            return Value::Object(out);
        }
        match actual.get(i) {
            Some(value) if !value.is_empty() => {
                out.insert(name.to_string(), json!(value));
            }
            _ => return Value::Null,
        }
    }
    if template.len() != actual.len() || out.is_empty() {
        return Value::Null;
    }
    Value::Object(out)
}

/// A client's headers as API Gateway forwards them to a REST API.
fn rest_headers(host: &str, with_body: bool) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("Accept", "*/*".to_string()),
        ("Host", host.to_string()),
        ("User-Agent", "curl/8.5.0".to_string()),
        ("X-Amzn-Trace-Id", TRACE_ID.to_string()),
        ("X-Forwarded-For", "203.0.113.7".to_string()),
        ("X-Forwarded-Port", "443".to_string()),
        ("X-Forwarded-Proto", "https".to_string()),
    ];
    if with_body {
        headers.insert(1, ("Content-Type", "application/json".to_string()));
    }
    headers
}

fn aws_proxy(values: &Values) -> Result<Value, String> {
    let path = absolute(values.get("path"));
    let resource = values.get("resource");
    let stage = values.get("stage");
    let body = body(values);
    let host = format!("{API_ID}.execute-api.{}", values.get("dns-suffix"));
    let headers = rest_headers(&host, !body.is_null());
    let header_pairs: Vec<(String, Vec<String>)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), vec![v.clone()]))
        .collect();
    let (headers, multi_headers) = value_maps(&header_pairs);
    let (query, multi_query) = value_maps(&query(values)?);
    Ok(json!({
        "resource": resource,
        "path": path,
        "httpMethod": values.get("method"),
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters(resource, &path),
        "stageVariables": null,
        "requestContext": {
            "accountId": values.get("account-id"),
            "apiId": API_ID,
            "deploymentId": "wxyz12",
            "domainName": host,
            "domainPrefix": API_ID,
            "extendedRequestId": "Yq4oNFxAvHcEXAMPLE=",
            "httpMethod": values.get("method"),
            "identity": {
                "accessKey": null,
                "accountId": null,
                "caller": null,
                "cognitoAuthenticationProvider": null,
                "cognitoAuthenticationType": null,
                "cognitoIdentityId": null,
                "cognitoIdentityPoolId": null,
                "principalOrgId": null,
                "sourceIp": "203.0.113.7",
                "user": null,
                "userAgent": "curl/8.5.0",
                "userArn": null
            },
            "path": format!("/{stage}{path}"),
            "protocol": "HTTP/1.1",
            "requestId": REQUEST_ID,
            "requestTime": REQUEST_TIME,
            "requestTimeEpoch": EPOCH_SECONDS * 1000,
            "resourceId": "a1b2c3",
            "resourcePath": resource,
            "stage": stage
        },
        "body": body,
        "isBase64Encoded": false
    }))
}

fn http_api_proxy(values: &Values) -> Result<Value, String> {
    let path = absolute(values.get("path"));
    let body = body(values);
    let host = format!("{API_ID}.execute-api.{}", values.get("dns-suffix"));
    let pairs = query(values)?;
    let raw_query = pairs
        .iter()
        .flat_map(|(name, list)| list.iter().map(move |v| format!("{name}={v}")))
        .collect::<Vec<_>>()
        .join("&");
    let mut headers = Map::new();
    headers.insert("accept".into(), json!("*/*"));
    headers.insert(
        "content-length".into(),
        json!(body.as_str().map_or(0, str::len).to_string()),
    );
    if !body.is_null() {
        headers.insert("content-type".into(), json!("application/json"));
    }
    for (name, value) in [
        ("host", host.as_str()),
        ("user-agent", "curl/8.5.0"),
        ("x-amzn-trace-id", TRACE_ID),
        ("x-forwarded-for", "203.0.113.7"),
        ("x-forwarded-port", "443"),
        ("x-forwarded-proto", "https"),
    ] {
        headers.insert(name.into(), json!(value));
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": values.get("account-id"),
            "apiId": API_ID,
            "domainName": host,
            "domainPrefix": API_ID,
            "http": {
                "method": values.get("method"),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0"
            },
            "requestId": "Yq4oNFxAvHcEXAMPLE=",
            "routeKey": "$default",
            "stage": values.get("stage"),
            "time": REQUEST_TIME,
            "timeEpoch": EPOCH_SECONDS * 1000
        },
        "isBase64Encoded": false
    });
    let object = event.as_object_mut().expect("a JSON object literal");
    // HTTP APIs join repeated query values with commas, and leave out what is absent.
    if !pairs.is_empty() {
        let joined: Map<String, Value> = pairs
            .iter()
            .map(|(name, list)| (name.clone(), json!(list.join(","))))
            .collect();
        object.insert("queryStringParameters".into(), Value::Object(joined));
    }
    if !body.is_null() {
        object.insert("body".into(), body);
    }
    Ok(event)
}

/// `arn:PARTITION:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/RESOURCE`.
fn method_arn(values: &Values) -> String {
    format!(
        "arn:{}:execute-api:{}:{}:{}/{}/{}/{}",
        values.get("partition"),
        values.get("region"),
        values.get("account-id"),
        values.get("restApiId"),
        values.get("stage"),
        values.get("method"),
        values.get("resource").trim_start_matches('/')
    )
}

fn token_authorizer(values: &Values) -> Result<Value, String> {
    Ok(json!({
        "type": "TOKEN",
        "authorizationToken": "incoming-client-token",
        "methodArn": method_arn(values)
    }))
}

fn request_authorizer(values: &Values) -> Result<Value, String> {
    let path = absolute(values.get("resource"));
    let stage = values.get("stage");
    let host = format!(
        "{}.execute-api.{}.amazonaws.com",
        values.get("restApiId"),
        values.get("region")
    );
    let header_pairs: Vec<(String, Vec<String>)> = rest_headers(&host, false)
        .into_iter()
        .map(|(k, v)| (k.to_string(), vec![v]))
        .chain([("HeaderAuth1".to_string(), vec!["headerValue1".to_string()])])
        .collect();
    let (headers, multi_headers) = value_maps(&header_pairs);
    let (query, multi_query) =
        value_maps(&[("QueryString1".to_string(), vec!["queryValue1".to_string()])]);
    Ok(json!({
        "type": "REQUEST",
        "methodArn": method_arn(values),
        "resource": path,
        "path": path,
        "httpMethod": values.get("method"),
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": {},
        "stageVariables": {},
        "requestContext": {
            "path": format!("/{stage}{path}"),
            "accountId": values.get("account-id"),
            "resourceId": "05c7jb",
            "stage": stage,
            "requestId": REQUEST_ID,
            "identity": {
                "apiKey": "",
                "sourceIp": "203.0.113.7",
                "clientCert": null
            },
            "resourcePath": path,
            "httpMethod": values.get("method"),
            "apiId": values.get("restApiId")
        }
    }))
}

fn alb_request(values: &Values) -> Result<Value, String> {
    let suffix = values.get("dns-suffix");
    let region = suffix.split('.').next().unwrap_or("us-east-2");
    let body = body(values);
    Ok(json!({
        "requestContext": {
            "elb": {
                "targetGroupArn": format!(
                    "arn:aws:elasticloadbalancing:{region}:{}:targetgroup/lambda-target/0123456789abcdef",
                    values.get("account-id")
                )
            }
        },
        "httpMethod": values.get("method"),
        "path": absolute(values.get("path")),
        "queryStringParameters": {},
        "headers": {
            "accept": "*/*",
            "content-type": "application/json",
            "host": format!("lambda-alb-123578498.{suffix}"),
            "user-agent": "curl/8.5.0",
            "x-amzn-trace-id": TRACE_ID,
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "80",
            "x-forwarded-proto": "http"
        },
        "body": body.as_str().unwrap_or(""),
        "isBase64Encoded": false
    }))
}

#[cfg(test)]
mod tests {
    use super::path_parameters;
    use serde_json::json;

    #[test]
    fn path_parameters_follow_the_resource() {
        assert_eq!(
            path_parameters("/{proxy+}", "/a/b"),
            json!({"proxy": "a/b"})
        );
        assert_eq!(
            path_parameters("/items/{id}", "/items/7"),
            json!({"id": "7"})
        );
        assert_eq!(path_parameters("/items/{id}", "/other/7"), json!(null));
        assert_eq!(path_parameters("/items", "/items"), json!(null));
        assert_eq!(path_parameters("/items/{id}", "/items/7/x"), json!(null));
        assert_eq!(
            path_parameters("/a/{x}/{rest+}", "/a/1/2/3"),
            json!({"x": "1", "rest": "2/3"})
        );
    }
}
