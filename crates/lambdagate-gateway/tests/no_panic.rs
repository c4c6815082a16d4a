//! Random input through the parts of the data plane that take it from clients and functions
//! (the same entry points as the fuzz targets in `fuzz/`): none may panic, and every event a
//! function receives is JSON. Bounded case counts, so this runs with `cargo test`; the fuzz
//! targets go further by hand.

use lambdagate_gateway::fuzzing::{self, FuzzRequest};
use proptest::prelude::*;

/// Paths made of the characters that matter to routing and decoding, and anything else.
fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        "(/[a-zA-Z0-9%{}+._~:@!$&'()*,;=-]{0,8}){0,6}/?",
        "/(Prod|v1|v2|items)(/[^?#]{0,6}){0,4}",
        any::<String>(),
    ]
}

fn json_scalar() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ]
}

fn json() -> impl Strategy<Value = serde_json::Value> {
    json_scalar().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Function answers shaped like proxy responses with fields of any type, and raw bytes.
fn answer() -> impl Strategy<Value = Vec<u8>> {
    let fields = (
        json(),
        json(),
        json(),
        json(),
        json(),
        json(),
        prop::option::of(100u16..600),
    );
    prop_oneof![
        fields.prop_map(|(status, headers, multi, body, b64, cookies, code)| {
            let mut object = serde_json::Map::new();
            object.insert(
                "statusCode".into(),
                code.map_or(status, serde_json::Value::from),
            );
            object.insert("headers".into(), headers);
            object.insert("multiValueHeaders".into(), multi);
            object.insert("body".into(), body);
            object.insert("isBase64Encoded".into(), b64);
            object.insert("cookies".into(), cookies);
            serde_json::to_vec(&object).unwrap()
        }),
        json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

fn request() -> impl Strategy<Value = FuzzRequest> {
    (
        prop_oneof!["GET|POST|PUT|DELETE|OPTIONS|HEAD|PATCH", "[A-Za-z]{0,8}"],
        path(),
        prop::option::of(prop_oneof!["[a-z=&%+0-9;]{0,24}", any::<String>()]),
        prop::collection::vec(
            (
                prop_oneof![
                    "(content-type|Accept|cookie|Host|X-Forwarded-For|authorization)",
                    "[!-~]{1,12}",
                ],
                any::<String>(),
            ),
            0..6,
        ),
        prop::collection::vec(any::<u8>(), 0..64),
        answer(),
    )
        .prop_map(|(method, path, query, headers, body, answer)| FuzzRequest {
            method,
            path,
            query,
            headers,
            body,
            answer,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn requests_never_panic_and_events_are_json(request in request()) {
        let seen = fuzzing::request_to_event(&request);
        prop_assert!(seen.events_were_json, "{request:?}");
        for status in seen.statuses {
            prop_assert!((100..600).contains(&status), "{status} for {request:?}");
        }
    }

    #[test]
    fn raw_bytes_as_a_request_never_panic(data in prop::collection::vec(any::<u8>(), 0..256)) {
        let seen = fuzzing::request_to_event(&FuzzRequest::from_bytes(&data));
        prop_assert!(seen.events_were_json);
    }

    #[test]
    fn proxy_responses_never_panic(answer in answer()) {
        fuzzing::proxy_response(&answer);
    }

    #[test]
    fn routers_never_panic(
        templates in prop::collection::vec(
            ("(GET|POST|ANY) ", "(/(\\{[a-z+]{0,4}\\}|[a-z{}+]{0,4})){0,5}"),
            0..8,
        ),
        method in "GET|POST|PUT",
        path in path(),
    ) {
        let text: Vec<String> = templates.into_iter().map(|(m, p)| format!("{m}{p}")).collect();
        fuzzing::router(&text.join("\n"), &method, &path);
    }
}
