//! What `Ref` and `Fn::GetAtt` yield for each resource type, as AWS would return them.

use lambdagate_model::api_id_for;

use crate::eval::Env;

/// The property that names a resource of this type, when AWS lets the template choose it.
pub fn name_property(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "AWS::Serverless::Function" | "AWS::Lambda::Function" => "FunctionName",
        "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" => "TableName",
        "AWS::SQS::Queue" => "QueueName",
        "AWS::SNS::Topic" => "TopicName",
        "AWS::S3::Bucket" => "BucketName",
        "AWS::IAM::Role" => "RoleName",
        "AWS::Serverless::LayerVersion" | "AWS::Lambda::LayerVersion" => "LayerName",
        "AWS::Serverless::StateMachine" => "Name",
        "AWS::StepFunctions::StateMachine" => "StateMachineName",
        "AWS::Logs::LogGroup" => "LogGroupName",
        "AWS::Events::EventBus" | "AWS::SSM::Parameter" | "AWS::SecretsManager::Secret" => "Name",
        "AWS::Kinesis::Stream" => "Name",
        "AWS::CodeDeploy::Application" => "ApplicationName",
        // `Ref` of a stage is its name and of a custom domain the domain name, so mappings
        // that refer to them get what AWS would pass.
        "AWS::ApiGateway::Stage" | "AWS::ApiGatewayV2::Stage" => "StageName",
        "AWS::ApiGateway::DomainName" | "AWS::ApiGatewayV2::DomainName" => "DomainName",
        // `Ref` of a model is its name.
        "AWS::ApiGateway::Model" => "Name",
        // Aliases and versions are named by their function (an alias by its own name too,
        // see `Evaluator::resource_name`), so their ARNs lead to the function.
        "AWS::Lambda::Alias" | "AWS::Lambda::Version" => "FunctionName",
        _ => return None,
    })
}

/// A deterministic stand-in for the random suffix CloudFormation appends to generated names.
fn suffix(seed: &str, len: usize) -> String {
    spelled(seed, len, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
}

/// `len` characters of `alphabet`, the same for the same seed.
fn spelled(seed: &str, len: usize, alphabet: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in seed.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (0..len)
        .map(|_| {
            let c = alphabet[(hash % alphabet.len() as u64) as usize] as char;
            hash = (hash / alphabet.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x2545_f491;
            c
        })
        .collect()
}

/// The physical name CloudFormation generates: `{stack}-{LogicalId}-{SUFFIX}`.
fn generated_name(logical_id: &str, env: &Env) -> String {
    format!(
        "{}-{logical_id}-{}",
        env.stack_name,
        suffix(&format!("{}/{logical_id}", env.stack_name), 13)
    )
}

/// The resource's name: the name property's value, else the default AWS (or `sam local`) uses.
fn physical_name(kind: &str, logical_id: &str, name: Option<&str>, env: &Env) -> String {
    if let Some(name) = name {
        return name.to_string();
    }
    match kind {
        // Functions are named by their logical id, as `sam local` names them.
        "AWS::Serverless::Function" | "AWS::Lambda::Function" => logical_id.to_string(),
        "AWS::Serverless::LayerVersion" | "AWS::Lambda::LayerVersion" => logical_id.to_string(),
        "AWS::S3::Bucket" => generated_name(logical_id, env).to_lowercase(),
        _ => generated_name(logical_id, env),
    }
}

/// `arn:{partition}:{service}:{region}:{account}:{resource}`.
fn arn(env: &Env, service: &str, regional: bool, resource: &str) -> String {
    let region = if regional { env.region.as_str() } else { "" };
    format!(
        "arn:{}:{service}:{region}:{}:{resource}",
        env.partition(),
        env.account_id
    )
}

/// `AWS::StackId`: the stack's ARN, whose last part is a UUID (hex digits).
pub fn stack_id(env: &Env) -> String {
    let s = spelled(&env.stack_name, 32, b"0123456789abcdef");
    arn(
        env,
        "cloudformation",
        true,
        &format!(
            "stack/{}/{}-{}-{}-{}-{}",
            env.stack_name,
            &s[..8],
            &s[8..12],
            &s[12..16],
            &s[16..20],
            &s[20..32]
        ),
    )
}

/// What `Ref` yields for a resource.
pub fn reference(kind: &str, logical_id: &str, name: Option<&str>, env: &Env) -> String {
    let physical = physical_name(kind, logical_id, name, env);
    match kind {
        "AWS::Serverless::Api"
        | "AWS::Serverless::HttpApi"
        | "AWS::ApiGateway::RestApi"
        | "AWS::ApiGatewayV2::Api" => api_id_for(logical_id),
        // `Ref` of an alias or a version is its qualified function ARN; the version is
        // always the first one published.
        "AWS::Lambda::Alias" => arn(
            env,
            "lambda",
            true,
            &format!("function:{}", function_part(&physical)),
        ),
        "AWS::Lambda::Version" => arn(
            env,
            "lambda",
            true,
            &format!("function:{}:1", function_part(&physical)),
        ),
        "AWS::SQS::Queue" => format!(
            "https://sqs.{}.{}/{}/{physical}",
            env.region,
            env.url_suffix(),
            env.account_id
        ),
        "AWS::SNS::Topic" => arn(env, "sns", true, &physical),
        "AWS::Serverless::LayerVersion" | "AWS::Lambda::LayerVersion" => {
            arn(env, "lambda", true, &format!("layer:{physical}:1"))
        }
        "AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine" => {
            arn(env, "states", true, &format!("stateMachine:{physical}"))
        }
        "AWS::SecretsManager::Secret" => arn(
            env,
            "secretsmanager",
            true,
            &format!("secret:{physical}-AbCdEf"),
        ),
        // A nested stack's id, as its own `AWS::StackId` gives it.
        "AWS::CloudFormation::Stack" | "AWS::Serverless::Application" => stack_id(&Env {
            stack_name: crate::nested::stack_name(&env.stack_name, logical_id),
            ..env.clone()
        }),
        "AWS::Cognito::UserPool" => format!("{}_{}", env.region, suffix(logical_id, 9)),
        "AWS::Cognito::UserPoolClient" => suffix(logical_id, 26).to_lowercase(),
        "AWS::KMS::Key" => uuid_like(logical_id),
        _ if name_property(kind).is_some() => physical,
        _ => logical_id.to_string(),
    }
}

/// A function's name (with an alias qualifier when given) from its name or its ARN.
fn function_part(name: &str) -> &str {
    name.split_once(":function:").map_or(name, |(_, rest)| rest)
}

fn uuid_like(seed: &str) -> String {
    let s = suffix(seed, 32).to_lowercase();
    format!(
        "{}-{}-{}-{}-{}",
        &s[..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..]
    )
}

/// What `Fn::GetAtt` yields for a resource's attribute.
pub fn attribute(
    kind: &str,
    logical_id: &str,
    name: Option<&str>,
    attr: &str,
    env: &Env,
) -> String {
    let physical = physical_name(kind, logical_id, name, env);
    let id = reference(kind, logical_id, name, env);
    let known = match (kind, attr) {
        ("AWS::Serverless::Function" | "AWS::Lambda::Function", "Arn") => {
            Some(arn(env, "lambda", true, &format!("function:{physical}")))
        }
        // The ids API Gateway resources expose as attributes are what their `Ref` yields, so
        // `!GetAtt Items.ResourceId` and `!Ref Items` name the same resource.
        (
            "AWS::ApiGateway::Resource"
            | "AWS::ApiGateway::Authorizer"
            | "AWS::ApiGateway::RequestValidator"
            | "AWS::ApiGateway::Deployment"
            | "AWS::ApiGateway::ApiKey"
            | "AWS::ApiGateway::UsagePlan"
            | "AWS::ApiGateway::RestApi"
            | "AWS::ApiGatewayV2::Integration"
            | "AWS::ApiGatewayV2::Authorizer"
            | "AWS::ApiGatewayV2::Route"
            | "AWS::ApiGatewayV2::Deployment",
            "ResourceId" | "AuthorizerId" | "RequestValidatorId" | "DeploymentId" | "APIKeyId"
            | "Id" | "RestApiId" | "IntegrationId" | "RouteId",
        ) => Some(id.clone()),
        ("AWS::Lambda::Version", "Version") => Some("1".to_string()),
        ("AWS::Lambda::Version", "FunctionArn") => {
            let function = function_part(&physical);
            let function = function.split(':').next().unwrap_or(function);
            Some(arn(env, "lambda", true, &format!("function:{function}")))
        }
        ("AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable", "Arn") => {
            Some(arn(env, "dynamodb", true, &format!("table/{physical}")))
        }
        ("AWS::DynamoDB::Table", "StreamArn") => Some(arn(
            env,
            "dynamodb",
            true,
            &format!("table/{physical}/stream/2024-01-01T00:00:00.000"),
        )),
        ("AWS::SQS::Queue", "Arn") => Some(arn(env, "sqs", true, &physical)),
        ("AWS::SQS::Queue", "QueueName") => Some(physical.clone()),
        ("AWS::SQS::Queue", "QueueUrl") => Some(id.clone()),
        ("AWS::SNS::Topic", "TopicArn") => Some(id.clone()),
        ("AWS::SNS::Topic", "TopicName") => Some(physical.clone()),
        ("AWS::S3::Bucket", "Arn") => Some(format!("arn:{}:s3:::{physical}", env.partition())),
        ("AWS::S3::Bucket", "DomainName") => Some(format!("{physical}.s3.{}", env.url_suffix())),
        ("AWS::S3::Bucket", "RegionalDomainName") => {
            Some(format!("{physical}.s3.{}.{}", env.region, env.url_suffix()))
        }
        ("AWS::IAM::Role", "Arn") => Some(arn(env, "iam", false, &format!("role/{physical}"))),
        ("AWS::IAM::Role", "RoleId") => Some(format!("AROA{}", suffix(logical_id, 17))),
        ("AWS::Cognito::UserPool", "Arn") => {
            Some(arn(env, "cognito-idp", true, &format!("userpool/{id}")))
        }
        ("AWS::Cognito::UserPool", "ProviderName") => Some(format!(
            "cognito-idp.{}.{}/{id}",
            env.region,
            env.url_suffix()
        )),
        ("AWS::Cognito::UserPool", "ProviderURL") => Some(format!(
            "https://cognito-idp.{}.{}/{id}",
            env.region,
            env.url_suffix()
        )),
        ("AWS::Cognito::UserPool", "UserPoolId") => Some(id.clone()),
        ("AWS::Serverless::Api" | "AWS::ApiGateway::RestApi", "RootResourceId") => {
            Some(suffix(logical_id, 10).to_lowercase())
        }
        ("AWS::Serverless::HttpApi" | "AWS::ApiGatewayV2::Api", "ApiEndpoint") => Some(format!(
            "https://{id}.execute-api.{}.{}",
            env.region,
            env.url_suffix()
        )),
        ("AWS::Serverless::HttpApi" | "AWS::ApiGatewayV2::Api", "ApiId") => Some(id.clone()),
        ("AWS::Logs::LogGroup", "Arn") => {
            Some(arn(env, "logs", true, &format!("log-group:{physical}:*")))
        }
        ("AWS::Events::EventBus", "Arn") => {
            Some(arn(env, "events", true, &format!("event-bus/{physical}")))
        }
        ("AWS::Kinesis::Stream", "Arn") => {
            Some(arn(env, "kinesis", true, &format!("stream/{physical}")))
        }
        ("AWS::KMS::Key", "Arn") => Some(arn(env, "kms", true, &format!("key/{id}"))),
        ("AWS::Lambda::Url", "FunctionUrl") => Some(format!(
            "https://{}.lambda-url.{}.on.aws/",
            suffix(logical_id, 32).to_lowercase(),
            env.region
        )),
        ("AWS::AppSync::ApiKey", "ApiKey") => {
            Some(format!("da2-{}", suffix(logical_id, 26).to_lowercase()))
        }
        (_, "Name") => Some(physical.clone()),
        _ => None,
    };
    known.unwrap_or_else(|| {
        if attr == "Arn" || attr.ends_with("Arn") {
            // An ARN in the shape most services use, so policies and environment values resolve.
            let service = kind.split("::").nth(1).unwrap_or("unknown").to_lowercase();
            let resource_type = kind.split("::").nth(2).unwrap_or("resource").to_lowercase();
            if id.starts_with("arn:") {
                id
            } else {
                arn(env, &service, true, &format!("{resource_type}/{id}"))
            }
        } else {
            format!("{id}.{attr}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        Env {
            region: "eu-west-1".into(),
            account_id: "123456789012".into(),
            stack_name: "items".into(),
        }
    }

    #[test]
    fn the_stack_id_ends_in_a_uuid() {
        let id = stack_id(&env());
        let uuid = id
            .strip_prefix("arn:aws:cloudformation:eu-west-1:123456789012:stack/items/")
            .unwrap_or_else(|| panic!("{id}"));
        let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{uuid}");
        assert!(
            uuid.chars()
                .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
            "{uuid}"
        );
        assert_eq!(id, stack_id(&env()), "the same for the same stack");
    }

    #[test]
    fn functions_tables_and_apis() {
        let e = env();
        assert_eq!(
            reference("AWS::Serverless::Function", "GetFn", None, &e),
            "GetFn"
        );
        assert_eq!(
            attribute("AWS::Serverless::Function", "GetFn", Some("get"), "Arn", &e),
            "arn:aws:lambda:eu-west-1:123456789012:function:get"
        );
        assert_eq!(
            reference("AWS::DynamoDB::Table", "T", Some("users"), &e),
            "users"
        );
        let generated = reference("AWS::DynamoDB::Table", "T", None, &e);
        assert!(generated.starts_with("items-T-"), "{generated}");
        assert_eq!(generated, reference("AWS::DynamoDB::Table", "T", None, &e));
        assert_eq!(
            reference("AWS::Serverless::HttpApi", "HttpApi", None, &e),
            api_id_for("HttpApi")
        );
        assert_eq!(
            reference("AWS::SQS::Queue", "Q", Some("jobs"), &e),
            "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"
        );
        assert_eq!(reference("AWS::Some::Thing", "X", None, &e), "X");
    }
}
