//! Code packaging: `.zip` code unpacked once into the cache, inline code, and zips that are
//! not zips or would write outside their folder.

use std::path::Path;

use super::nested::{lines, load_file, scratch};

/// [`load_file`] with `stack_name` (`None`: the one the loader finds).
fn load_file_as(
    path: &Path,
    strict: bool,
    stack_name: Option<&str>,
) -> Result<crate::Loaded, Vec<crate::Diagnostic>> {
    let options = crate::LoadOptions {
        region: Some("eu-west-1".into()),
        stack_name: stack_name.map(str::to_string),
        strict,
        ..crate::LoadOptions::default()
    };
    crate::load(path, &options)
}

/// CRC-32 (IEEE), which unpackers check.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip archive of stored (uncompressed) entries: (name, content, is a symbolic link).
pub(super) fn zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for (name, data, link) in entries {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let size = data.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend(sig.to_le_bytes());
            if central {
                h.extend((0x0300u16 | 20).to_le_bytes()); // made by: Unix
            }
            h.extend(20u16.to_le_bytes()); // version needed
            h.extend(0u16.to_le_bytes()); // flags
            h.extend(0u16.to_le_bytes()); // stored
            h.extend(0u32.to_le_bytes()); // time, date
            h.extend(crc.to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central {
                h.extend(0u16.to_le_bytes()); // comment
                h.extend(0u16.to_le_bytes()); // disk
                h.extend(0u16.to_le_bytes()); // internal attributes
                let mode: u32 = if *link { 0o120_777 } else { 0o100_644 };
                h.extend((mode << 16).to_le_bytes());
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend(*data);
        directory.extend(header(0x0201_4b50, true));
    }
    let start = out.len() as u32;
    out.extend(&directory);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]); // disk numbers
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((directory.len() as u32).to_le_bytes());
    out.extend(start.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// A template with `Zipped` (code from `code.zip`) on `GET /zipped` and `Plain` (code in the
/// template's folder) on `GET /plain`.
const TEMPLATE: &str = "\
Transform: AWS::Serverless-2016-10-31
Resources:
  Zipped:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: code.zip
      Handler: app.handler
      Runtime: python3.12
      Events:
        Get:
          Type: HttpApi
          Properties:
            Path: /zipped
            Method: get
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: python3.12
      Events:
        Get:
          Type: HttpApi
          Properties:
            Path: /plain
            Method: get
";

fn write_zip(dir: &Path, bytes: &[u8]) {
    std::fs::write(dir.join("code.zip"), bytes).unwrap();
}

#[test]
fn a_zip_is_unpacked_once_into_a_folder_named_by_its_content() {
    let dir = scratch("zip-ok", &[("template.yaml", TEMPLATE)]);
    let app_py = format!(
        "def handler(event, context):\n    return {{'pid': {}}}\n",
        std::process::id()
    );
    write_zip(
        &dir,
        &zip(&[("app.py", app_py.as_bytes(), false), ("lib/", b"", false)]),
    );
    let first = load_file(&dir.join("template.yaml"), true)
        .unwrap_or_else(|d| panic!("{:#?}", lines(&d)))
        .application;
    let code = &first.functions[0].code_dir;
    assert_eq!(
        std::fs::read_to_string(code.join("app.py")).unwrap(),
        app_py
    );
    assert!(code.starts_with(dirs_cache()), "{}", code.display());
    // The same content is the same folder; a change is a new one.
    let again = load_file(&dir.join("template.yaml"), true)
        .unwrap()
        .application;
    assert_eq!(&again.functions[0].code_dir, code);
    write_zip(
        &dir,
        &zip(&[("app.py", b"def handler(e, c):\n    return 2\n", false)]),
    );
    let changed = load_file(&dir.join("template.yaml"), true)
        .unwrap()
        .application;
    assert_ne!(&changed.functions[0].code_dir, code);
}

/// Where unpacked code goes (`code.rs` picks `$XDG_CACHE_HOME`, else `~/.cache`).
fn dirs_cache() -> std::path::PathBuf {
    match std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        Some(dir) => dir.into(),
        None => Path::new(&std::env::var_os("HOME").unwrap()).join(".cache"),
    }
    .join("lambdagate/code/zip")
}

/// The bad zip is one error for `validate`; serving, one warning, the function unavailable and
/// the other one served.
fn refused(name: &str, bytes: &[u8], why: &str) {
    let dir = scratch(name, &[("template.yaml", TEMPLATE)]);
    write_zip(&dir, bytes);
    let errors = lines(&load_file(&dir.join("template.yaml"), true).expect_err(name));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with(&format!(
            "template.yaml:6: error: function `Zipped`: CodeUri `code.zip` could not be unpacked: {why}"
        )),
        "{errors:#?}"
    );
    let loaded =
        load_file(&dir.join("template.yaml"), false).unwrap_or_else(|d| panic!("{:#?}", lines(&d)));
    let warnings = lines(&loaded.warnings);
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].contains(why), "{warnings:#?}");
    let app = loaded.application;
    assert_eq!(app.functions.len(), 1);
    assert_eq!(app.functions[0].logical_id, "Plain");
    assert_eq!(app.unavailable_functions[0].logical_id, "Zipped");
    // Both routes are kept: the unavailable function's answers as Lambda would.
    assert_eq!(app.apis[0].routes.len(), 2);
}

#[test]
fn a_file_that_is_not_a_zip_is_refused() {
    refused("zip-not", b"PK but not really", "it is not a zip archive");
}

#[test]
fn entries_escaping_the_folder_are_refused() {
    refused(
        "zip-dotdot",
        &zip(&[("app.py", b"x", false), ("../evil.py", b"x", false)]),
        "entry `../evil.py` would be written outside the function's folder",
    );
    refused(
        "zip-absolute",
        &zip(&[("/tmp/evil.py", b"x", false)]),
        "entry `/tmp/evil.py` has an absolute path",
    );
    refused(
        "zip-through-link",
        &zip(&[("up", b"..", true), ("up/evil.py", b"x", false)]),
        "entry `up/evil.py` would be written through the symbolic link `up`",
    );
}

#[test]
fn a_symbolic_link_pointing_out_is_refused() {
    // Only an unpacker that makes links can make this one (`unzip` does).
    if std::process::Command::new("unzip")
        .arg("-v")
        .output()
        .is_err()
    {
        return;
    }
    refused(
        "zip-link-out",
        &zip(&[
            ("app.py", b"x", false),
            ("secrets", b"../../../../etc/passwd", true),
        ]),
        "entry `secrets` is a symbolic link to `../../../../etc/passwd`, outside the function's folder",
    );
    // A link inside the folder is fine.
    let dir = scratch("zip-link-in", &[("template.yaml", TEMPLATE)]);
    write_zip(
        &dir,
        &zip(&[
            ("real.py", b"def handler(e, c):\n    return 1\n", false),
            ("app.py", b"real.py", true),
        ]),
    );
    let app = load_file(&dir.join("template.yaml"), true)
        .unwrap_or_else(|d| panic!("{:#?}", lines(&d)))
        .application;
    assert!(app.functions[0].code_dir.join("app.py").is_file());
}

#[test]
fn inline_code_and_code_zip_file_are_written_as_index_files() {
    let text = "\
Resources:
  Py:
    Type: AWS::Lambda::Function
    Properties:
      Handler: index.handler
      Runtime: python3.12
      Role: arn:aws:iam::123456789012:role/r
      Code:
        ZipFile: |
          def handler(event, context):
              return {'statusCode': 200}
  Node:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: nodejs20.x
      InlineCode: 'exports.handler = async () => ({statusCode: 200});'
  FromZip:
    Type: AWS::Lambda::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Role: arn:aws:iam::123456789012:role/r
      Code: code.zip
Transform: AWS::Serverless-2016-10-31
";
    let dir = scratch("inline", &[("template.yaml", text)]);
    write_zip(
        &dir,
        &zip(&[("app.py", b"def handler(e, c):\n    return 3\n", false)]),
    );
    let app = load_file(&dir.join("template.yaml"), true)
        .unwrap_or_else(|d| panic!("{:#?}", lines(&d)))
        .application;
    let code = |id: &str| {
        let f = app.functions.iter().find(|f| f.logical_id == id).unwrap();
        f.code_dir.clone()
    };
    let py = std::fs::read_to_string(code("Py").join("index.py")).unwrap();
    assert!(py.contains("def handler(event, context):"), "{py}");
    let js = std::fs::read_to_string(code("Node").join("index.js")).unwrap();
    assert_eq!(js, "exports.handler = async () => ({statusCode: 200});");
    assert!(code("FromZip").join("app.py").is_file());
}

#[test]
fn a_layer_may_be_a_zip_too() {
    let text = "\
Transform: AWS::Serverless-2016-10-31
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer.zip
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: python3.12
      Layers:
        - !Ref Shared
";
    let dir = scratch("layer-zip", &[("template.yaml", text)]);
    std::fs::write(
        dir.join("layer.zip"),
        zip(&[("python/shared.py", b"VALUE = 1\n", false)]),
    )
    .unwrap();
    let app = load_file(&dir.join("template.yaml"), true)
        .unwrap_or_else(|d| panic!("{:#?}", lines(&d)))
        .application;
    assert!(
        app.functions[0].layers[0]
            .join("python/shared.py")
            .is_file()
    );

    std::fs::write(dir.join("layer.zip"), zip(&[("../x.py", b"x", false)])).unwrap();
    let errors = lines(&load_file(&dir.join("template.yaml"), false).expect_err("bad layer"));
    assert!(
        errors[0].starts_with("template.yaml:6: error: layer `Shared`: ContentUri `layer.zip` could not be unpacked: entry `../x.py`"),
        "{errors:#?}"
    );
}

/// `serverless package` output (`tests/fixtures/serverless-package`, which the end-to-end test
/// serves too): a CloudFormation template in `.serverless/` whose functions and layers are in
/// S3 under keys naming the zips beside it, and REST APIs with `Policy: ""`.
#[test]
fn a_serverless_framework_package_runs_from_its_zips() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/serverless-package");
    let read = |path: &str| std::fs::read(fixture.join(path)).unwrap();
    let dir = scratch("serverless-package", &[]);
    let package = dir.join(".serverless");
    std::fs::create_dir_all(&package).unwrap();
    for file in [
        "cloudformation-template-update-stack.json",
        "serverless-state.json",
    ] {
        std::fs::write(package.join(file), read(&format!(".serverless/{file}"))).unwrap();
    }
    let handler = read("src/handler.py");
    std::fs::write(
        package.join("demo.zip"),
        zip(&[("src/handler.py", &handler, false)]),
    )
    .unwrap();
    let shared = read("layer/python/shared.py");
    std::fs::write(
        package.join("shared.zip"),
        zip(&[("python/shared.py", &shared, false)]),
    )
    .unwrap();
    let template = package.join("cloudformation-template-update-stack.json");
    let loaded = load_file_as(&template, true, None).unwrap_or_else(|d| panic!("{:#?}", lines(&d)));
    let app = loaded.application;
    let function = &app.functions[0];
    assert!(function.code_dir.join("src/handler.py").is_file());
    assert!(function.layers[0].join("python/shared.py").is_file());
    // `serverless deploy`'s stack: `<service>-<stage>`.
    assert_eq!(app.stack_name, "demo-dev");
    let rest = app
        .apis
        .iter()
        .find(|a| a.logical_id == "ApiGatewayRestApi")
        .expect("the REST API is served");
    assert!(rest.resource_policy.is_empty());
    assert_eq!(rest.routes.len(), 1, "{:#?}", rest.routes);
    assert!(app.apis.iter().any(|a| a.logical_id == "HttpApi"));

    // Without the zip, the S3 location is what it is: not local.
    std::fs::remove_file(package.join("demo.zip")).unwrap();
    let errors = lines(&load_file(&template, false).expect_err("no zip"));
    assert!(
        errors
            .iter()
            .any(|e| e.contains("function `HelloLambdaFunction`: Code is in S3 (S3Bucket/S3Key)")),
        "{errors:#?}"
    );
}

/// A CDK app synthesized without the CLI's asset metadata (`app.synth()` run directly): the
/// function's `Code` is only an S3 key, which the asset manifest beside the template maps to
/// its local folder.
#[test]
fn a_cdk_asset_is_found_through_the_asset_manifest() {
    let hash = "1c9a9ae055f663fea7e195fd8332960c512901c9ebe96f68ff660f88269e4f64";
    let template = format!(
        r#"{{"Resources": {{"Hello4A628BD4": {{"Type": "AWS::Lambda::Function", "Properties": {{
            "Code": {{"S3Bucket": "cdk-hnb659fds-assets-123456789012-eu-west-1", "S3Key": "{hash}.zip"}},
            "Handler": "index.handler", "Runtime": "nodejs20.x",
            "Role": "arn:aws:iam::123456789012:role/r"}}}}}}}}"#
    );
    let manifest = format!(
        r#"{{"version": "48.0.0", "files": {{
            "{hash}": {{"displayName": "Hello/Code",
                "source": {{"path": "asset.{hash}", "packaging": "zip"}},
                "destinations": {{"123456789012-eu-west-1-c11c3588": {{
                    "bucketName": "cdk-hnb659fds-assets-123456789012-eu-west-1",
                    "objectKey": "{hash}.zip", "region": "eu-west-1"}}}}}},
            "eca2d5376c": {{"displayName": "Demo Template",
                "source": {{"path": "Demo.template.json", "packaging": "file"}},
                "destinations": {{"x": {{"objectKey": "eca2d5376c.json"}}}}}}}}}}"#
    );
    let asset = format!("asset.{hash}/index.js");
    let dir = scratch(
        "cdk-manifest",
        &[
            ("cdk.out/Demo.template.json", template.as_str()),
            ("cdk.out/Demo.assets.json", manifest.as_str()),
            (
                "cdk.out/manifest.json",
                "{\"version\": \"48.0.0\", \"artifacts\": {}}",
            ),
            (asset.as_str(), "exports.handler = async () => 1;"),
        ],
    );
    // The asset folder sits in cdk.out beside the template.
    std::fs::rename(
        dir.join(format!("asset.{hash}")),
        dir.join(format!("cdk.out/asset.{hash}")),
    )
    .unwrap();
    let app = load_file_as(&dir.join("cdk.out/Demo.template.json"), true, None)
        .unwrap_or_else(|d| panic!("{:#?}", lines(&d)))
        .application;
    assert!(app.functions[0].code_dir.join("index.js").is_file());
    assert!(app.functions[0].code_dir.ends_with(format!("asset.{hash}")));
    // The stack's name is its artifact's, as the CDK deploys it, or the one the app gives it.
    assert_eq!(app.stack_name, "Demo");
    std::fs::write(
        dir.join("cdk.out/manifest.json"),
        r#"{"version": "48.0.0", "artifacts": {"Demo": {"type": "aws:cloudformation:stack",
            "properties": {"templateFile": "Demo.template.json", "stackName": "orders-prod"}}}}"#,
    )
    .unwrap();
    let app = load_file_as(&dir.join("cdk.out/Demo.template.json"), true, None)
        .unwrap_or_else(|d| panic!("{:#?}", lines(&d)))
        .application;
    assert_eq!(app.stack_name, "orders-prod");
}
