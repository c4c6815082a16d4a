use proptest::prelude::*;

use super::*;

fn router(routes: &[(&str, &str)], any: AnyMethod) -> Router<String> {
    let mut r = Router::new();
    for (method, path) in routes {
        let segments = parse_template(path).unwrap();
        r.insert(method, &segments, any, format!("{method} {path}"))
            .unwrap();
    }
    r
}

fn hit(r: &Router<String>, method: &str, path: &str) -> Option<String> {
    r.find(method, path).map(|m| m.target.clone())
}

#[test]
fn aws_http_api_worked_example() {
    let r = router(
        &[
            ("GET", "/pets/dog/1"),
            ("GET", "/pets/dog/{id}"),
            ("GET", "/pets/{proxy+}"),
            ("ANY", "/{proxy+}"),
        ],
        AnyMethod::All,
    );
    assert_eq!(hit(&r, "GET", "/pets/dog/1").unwrap(), "GET /pets/dog/1");
    assert_eq!(hit(&r, "GET", "/pets/dog/2").unwrap(), "GET /pets/dog/{id}");
    assert_eq!(hit(&r, "GET", "/pets/cat/1").unwrap(), "GET /pets/{proxy+}");
    assert_eq!(hit(&r, "POST", "/test/5").unwrap(), "ANY /{proxy+}");
    // Method-aware fallback: POST to a GET-only greedy subtree falls back to ANY at the root.
    assert_eq!(hit(&r, "POST", "/pets/dog/1").unwrap(), "ANY /{proxy+}");
}

#[test]
fn rest_fallback_rules() {
    let r = router(
        &[
            ("GET", "/part1"),
            ("GET", "/part1/hardcoded-value"),
            ("GET", "/{param+}"),
        ],
        AnyMethod::Standard,
    );
    assert_eq!(
        hit(&r, "GET", "/part1/hardcoded-value").unwrap(),
        "GET /part1/hardcoded-value"
    );
    assert_eq!(
        hit(&r, "GET", "/part1/random-value").unwrap(),
        "GET /{param+}"
    );
    assert_eq!(hit(&r, "GET", "/part1").unwrap(), "GET /part1");

    let r = router(
        &[("POST", "/test"), ("OPTIONS", "/{proxy+}")],
        AnyMethod::Standard,
    );
    assert_eq!(hit(&r, "OPTIONS", "/test").unwrap(), "OPTIONS /{proxy+}");
    assert_eq!(hit(&r, "POST", "/test").unwrap(), "POST /test");
    assert_eq!(hit(&r, "GET", "/test"), None);
}

#[test]
fn exact_method_beats_any_on_the_same_resource() {
    let r = router(&[("ANY", "/x"), ("GET", "/x")], AnyMethod::Standard);
    assert_eq!(hit(&r, "GET", "/x").unwrap(), "GET /x");
    assert_eq!(hit(&r, "DELETE", "/x").unwrap(), "ANY /x");
    // REST's ANY covers the seven standard methods only.
    assert_eq!(hit(&r, "PROPFIND", "/x"), None);
}

#[test]
fn root_slashes_and_greedy_captures() {
    let r = router(&[("GET", "/"), ("GET", "/{proxy+}")], AnyMethod::Standard);
    assert_eq!(hit(&r, "GET", "/").unwrap(), "GET /");
    assert_eq!(hit(&r, "GET", "//").unwrap(), "GET /");
    let path = "/proxy-value//double-slash/";
    let m = r.find("GET", path).unwrap();
    assert_eq!(m.target, "GET /{proxy+}");
    let (name, (s, e)) = m.params[0];
    assert_eq!((name, &path[s..e]), ("proxy", "proxy-value//double-slash"));
    let path = "/proxy-value/";
    let m = r.find("GET", path).unwrap();
    let (_, (s, e)) = m.params[0];
    assert_eq!(&path[s..e], "proxy-value");
}

#[test]
fn params_keep_their_own_names() {
    let r = router(
        &[("GET", "/a/{id}"), ("POST", "/a/{name}/b")],
        AnyMethod::All,
    );
    let path = "/a/7/b";
    let m = r.find("POST", path).unwrap();
    assert_eq!(m.params.len(), 1);
    assert_eq!(m.params[0].0, "name");
    let m = r.find("GET", "/a/7").unwrap();
    assert_eq!(m.params[0].0, "id");
}

#[test]
fn duplicates_and_bad_templates_are_refused() {
    let mut r = Router::new();
    let t = parse_template("/a/{x}").unwrap();
    r.insert("GET", &t, AnyMethod::All, 1).unwrap();
    let t2 = parse_template("/a/{y}").unwrap();
    let err = r.insert("GET", &t2, AnyMethod::All, 2).unwrap_err();
    assert_eq!(err.existing, 1);
    assert!(r.insert("POST", &t2, AnyMethod::All, 3).is_ok());
    assert!(matches!(
        parse_template("/{p+}/x"),
        Err(TemplateError::GreedyNotLast(..))
    ));
    assert!(parse_template("/{}").is_err());
    assert!(parse_template("/a{b").is_err());
}

// ---- property test against a brute-force matcher ----

#[derive(Debug, Clone)]
struct Spec {
    method: &'static str,
    segments: Vec<Segment>,
}

fn rank(segment: &Segment) -> u8 {
    match segment {
        Segment::Literal(_) => 2,
        Segment::Param(_) => 1,
        Segment::Greedy(_) => 0,
    }
}

/// Tries every route and keeps the best by (segment kinds left to right, exact method).
fn brute_force(routes: &[Spec], method: &str, path: &str, any: AnyMethod) -> Option<usize> {
    let request: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut best: Option<(Vec<u8>, u8, usize)> = None;
    for (i, route) in routes.iter().enumerate() {
        let method_rank = if route.method == method {
            1
        } else if route.method == "ANY" && any.covers(method) {
            0
        } else {
            continue;
        };
        let mut ok = true;
        let mut consumed_all = false;
        for (j, segment) in route.segments.iter().enumerate() {
            match segment {
                Segment::Literal(t) => ok &= request.get(j) == Some(&t.as_str()),
                Segment::Param(_) => ok &= request.get(j).is_some(),
                Segment::Greedy(_) => {
                    ok &= request.len() > j;
                    consumed_all = true;
                }
            }
        }
        ok &= consumed_all || request.len() == route.segments.len();
        if !ok {
            continue;
        }
        let key: Vec<u8> = route.segments.iter().map(rank).collect();
        let better = match &best {
            None => true,
            Some((k, m, _)) => (&key, method_rank) > (k, *m),
        };
        if better {
            best = Some((key, method_rank, i));
        }
    }
    best.map(|(_, _, i)| i)
}

fn segment_strategy(last: bool) -> BoxedStrategy<Segment> {
    let mut options = vec![
        Just(Segment::Literal("a".into())).boxed(),
        Just(Segment::Literal("b".into())).boxed(),
        Just(Segment::Param("p".into())).boxed(),
    ];
    if last {
        options.push(Just(Segment::Greedy("g".into())).boxed());
    }
    proptest::strategy::Union::new(options).boxed()
}

fn template_strategy() -> impl Strategy<Value = Vec<Segment>> {
    (
        proptest::collection::vec(segment_strategy(false), 0..3),
        proptest::option::of(segment_strategy(true)),
    )
        .prop_map(|(mut v, last)| {
            v.extend(last);
            v
        })
}

fn spec_strategy() -> impl Strategy<Value = Spec> {
    (
        prop_oneof![Just("GET"), Just("POST"), Just("ANY")],
        template_strategy(),
    )
        .prop_map(|(method, segments)| Spec { method, segments })
}

fn request_strategy() -> impl Strategy<Value = (&'static str, String)> {
    (
        prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("PROPFIND")],
        proptest::collection::vec(prop_oneof![Just("a"), Just("b"), Just("c"), Just("")], 0..6),
        any::<bool>(),
    )
        .prop_map(|(method, parts, trailing)| {
            let mut path = String::from("/");
            path.push_str(&parts.join("/"));
            if trailing {
                path.push('/');
            }
            (method, path)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn trie_agrees_with_brute_force(
        specs in proptest::collection::vec(spec_strategy(), 0..12),
        requests in proptest::collection::vec(request_strategy(), 1..12),
        rest in any::<bool>(),
    ) {
        let any = if rest { AnyMethod::Standard } else { AnyMethod::All };
        let mut router = Router::new();
        let mut kept = Vec::new();
        for spec in specs {
            if router.insert(spec.method, &spec.segments, any, kept.len()).is_ok() {
                kept.push(spec);
            }
        }
        for (method, path) in requests {
            let expected = brute_force(&kept, method, &path, any);
            let got = router.find(method, &path).map(|m| *m.target);
            prop_assert_eq!(got, expected, "{} {} with {:?}", method, path, kept);
            if let Some(m) = router.find(method, &path) {
                // Captures are non-empty spans of the path with no leading or trailing slash.
                for (_, (s, e)) in m.params {
                    prop_assert!(s < e);
                    prop_assert!(!path[s..e].starts_with('/') && !path[s..e].ends_with('/'));
                }
            }
        }
    }
}
