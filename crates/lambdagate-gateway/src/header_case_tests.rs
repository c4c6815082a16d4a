use super::*;
use proptest::prelude::*;

/// Feeds `stream` cut at `cuts` (sorted offsets) and returns the recorded heads and whether
/// recording stopped.
fn record_cut(stream: &[u8], cuts: &[usize], max_head_bytes: usize) -> (Vec<Vec<String>>, bool) {
    let mut recorder = HeadRecorder::new(max_head_bytes);
    let mut heads = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain([stream.len()].iter()) {
        let cut = cut.clamp(start, stream.len());
        recorder.feed(&stream[start..cut], &mut |names| {
            heads.push(names);
            true
        });
        start = cut;
    }
    (heads, recorder.is_stopped())
}

fn record(stream: &[u8]) -> (Vec<Vec<String>>, bool) {
    record_cut(stream, &[], 64 * 1024)
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|n| n.to_string()).collect()
}

/// Requests of every framing kind, back to back as a pipelining client sends them.
const PIPELINE: &[u8] = b"GET /a HTTP/1.1\r\nHost: h\r\ntEsT-HEADeR: x\r\n\r\n\
POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\nContent-Type: text/plain\r\n\r\nhello world!\
GET /c HTTP/1.1\r\n\r\n\
PUT /d HTTP/1.1\r\nhost: h\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n\
5;name=\"v\"\r\nhello\r\nA \t;x\r\n\r\n01234567\r\n0\r\nX-Trailer: t\r\nOther: o\r\n\r\n\
\r\nDELETE /e HTTP/1.1\r\nX-Lower: y\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc\
PATCH /f HTTP/1.0\nHOST: h\n\n";

fn pipeline_heads() -> Vec<Vec<String>> {
    vec![
        names(&["Host", "tEsT-HEADeR"]),
        names(&["Host", "Content-Length", "Content-Type"]),
        vec![],
        names(&["host", "Transfer-Encoding"]),
        names(&["X-Lower", "Expect", "Content-Length"]),
        names(&["HOST"]),
    ]
}

#[test]
fn pipelined_requests_in_one_read() {
    let (heads, stopped) = record(PIPELINE);
    assert_eq!(heads, pipeline_heads());
    assert!(!stopped);
}

#[test]
fn reads_split_at_every_byte_boundary() {
    for cut in 0..=PIPELINE.len() {
        assert_eq!(
            record_cut(PIPELINE, &[cut], 64 * 1024),
            (pipeline_heads(), false),
            "cut at {cut}"
        );
    }
    for (a, b) in [(1, 2), (30, 31), (100, 140), (200, 201)] {
        assert_eq!(record_cut(PIPELINE, &[a, b], 64 * 1024).0, pipeline_heads());
    }
    // And one byte at a time.
    let every: Vec<usize> = (0..PIPELINE.len()).collect();
    assert_eq!(
        record_cut(PIPELINE, &every, 64 * 1024),
        (pipeline_heads(), false)
    );
}

#[test]
fn chunked_bodies_with_extensions_and_trailers() {
    let stream = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\
3\r\n\r\n\r\r\n1f;a=b;c\r\n0123456789abcdef0123456789abcde\r\n0;last\r\nA: 1\r\nB: 2\r\n\r\n\
GET /next HTTP/1.1\r\nAfter-Trailers: 1\r\n\r\n";
    let (heads, stopped) = record(stream);
    assert_eq!(
        heads,
        vec![names(&["Transfer-Encoding"]), names(&["After-Trailers"])]
    );
    assert!(!stopped);
    // Framing errors hyper rejects end recording.
    for bad in [
        &b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"[..],
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2;ext\nab\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2 3\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\rB",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\r",
    ] {
        let (heads, stopped) = record(bad);
        assert_eq!(heads.len(), 1);
        assert!(stopped, "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn content_length_framing_follows_hyper() {
    // Equal repeated lengths are one length; a length after Transfer-Encoding is ignored.
    let stream = b"POST / HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nab\
POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n0\r\n\r\n\
GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET /z HTTP/1.1\r\n\r\n";
    let (heads, stopped) = record(stream);
    assert_eq!(heads.len(), 4);
    assert!(!stopped);
    for bad in [
        &b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nContent-Length: +2\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    ] {
        assert_eq!(
            record(bad),
            (vec![], true),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn upgrades_and_connect_end_recording_after_their_head() {
    for stream in [
        &b"GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nGET /x HTTP/1.1\r\n\r\n"[..],
        b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\nGET /x HTTP/1.1\r\n\r\n",
    ] {
        let (heads, stopped) = record(stream);
        assert_eq!(heads.len(), 1);
        assert!(stopped);
    }
    // HTTP/1.0 cannot upgrade (hyper ignores the header there).
    let (heads, stopped) = record(b"GET / HTTP/1.0\r\nUpgrade: x\r\n\r\nGET / HTTP/1.0\r\n\r\n");
    assert_eq!(heads.len(), 2);
    assert!(!stopped);
}

#[test]
fn anything_unparseable_ends_recording() {
    for bad in [
        &b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"[..],
        b"\x00\x01 NOT HTTP\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
    ] {
        assert_eq!(record(bad), (vec![], true));
    }
    // Too many header lines for hyper.
    let mut many = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..=MAX_HEADERS {
        many.extend(format!("H{i}: v\r\n").as_bytes());
    }
    many.extend(b"\r\n");
    assert_eq!(record(&many), (vec![], true));
}

#[test]
fn heads_over_the_limit_end_recording_without_buffering_more() {
    let mut head = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
    head.extend(vec![b'a'; 2000]);
    head.extend(b"\r\n\r\n");
    assert_eq!(record_cut(&head, &[10], 1000), (vec![], true));
    assert_eq!(record_cut(&head, &[1500], 1000), (vec![], true));
    let (heads, stopped) = record_cut(&head, &[10], 4096);
    assert_eq!(heads, vec![names(&["X-Big"])]);
    assert!(!stopped);
}

#[test]
fn a_refused_head_ends_recording() {
    let mut recorder = HeadRecorder::new(1024);
    let mut seen = 0;
    recorder.feed(PIPELINE, &mut |_| {
        seen += 1;
        false
    });
    assert_eq!(seen, 1);
    assert!(recorder.is_stopped());
}

fn header_map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (n, v) in pairs {
        map.append(
            http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

#[test]
fn names_pair_with_parsed_values_in_wire_order() {
    // hyper groups values by name; the wire order and casing come back.
    let map = header_map(&[("x-a", "1"), ("x-a", "3"), ("content-type", "2")]);
    let paired = pair_names(names(&["X-A", "Content-Type", "x-A"]), &map).unwrap();
    let expected = [("X-A", "1"), ("Content-Type", "2"), ("x-A", "3")];
    assert_eq!(
        paired,
        expected.map(|(n, v)| (n.to_string(), v.to_string()))
    );
    // A repeated Content-Length hyper dropped is skipped.
    let map = header_map(&[("content-length", "2")]);
    let paired = pair_names(names(&["Content-Length", "content-length"]), &map).unwrap();
    assert_eq!(paired, vec![("Content-Length".into(), "2".into())]);
    // Heads that are not the same request do not pair.
    let map = header_map(&[("x-a", "1"), ("x-b", "2")]);
    assert_eq!(pair_names(names(&["X-A"]), &map), None);
    assert_eq!(pair_names(names(&["X-A", "X-C"]), &map), None);
    assert_eq!(
        pair_names(names(&["X-A", "X-B", "X-B"]), &map)
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn the_queue_hands_heads_out_in_order_and_closes_when_out_of_step() {
    let queue = HeadQueue::default();
    assert!(queue.push(names(&["X-A"])));
    assert!(queue.push(names(&["X-B"])));
    let request = |name: &str| Request::builder().header(name, "v").body(()).unwrap();
    let got = queue.client_headers(&request("x-a")).unwrap();
    assert_eq!(got.0, vec![("X-A".into(), "v".into())]);
    // HTTP/2 requests never take from the queue.
    let mut h2 = request("x-b");
    *h2.version_mut() = Version::HTTP_2;
    assert_eq!(queue.client_headers(&h2), None);
    // Out of step: nothing is trusted any more.
    assert!(queue.push(names(&["X-C"])));
    assert_eq!(queue.client_headers(&request("x-z")), None);
    assert_eq!(queue.next(), None);
    assert!(!queue.push(names(&["X-D"])));
}

#[tokio::test]
async fn the_stream_passes_bytes_through_unchanged_and_records() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client, server) = tokio::io::duplex(7);
    let (mut stream, heads) = CaseRecordingStream::new(server, 64 * 1024);
    let writer = tokio::spawn(async move {
        client.write_all(PIPELINE).await.unwrap();
        client.shutdown().await.unwrap();
        let mut echoed = Vec::new();
        client.read_to_end(&mut echoed).await.unwrap();
        echoed
    });
    let mut read = Vec::new();
    stream.read_to_end(&mut read).await.unwrap();
    stream.write_all(b"reply").await.unwrap();
    stream.shutdown().await.unwrap();
    assert_eq!(read, PIPELINE);
    assert_eq!(writer.await.unwrap(), b"reply");
    let mut recorded = Vec::new();
    while let Some(names) = heads.next() {
        recorded.push(names);
    }
    assert_eq!(recorded, pipeline_heads());
}

/// A request as a model: the header names it carries and its body framing.
#[derive(Debug, Clone)]
struct Model {
    method: &'static str,
    names: Vec<String>,
    body: Body,
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Sized(Vec<u8>),
    Chunked {
        chunks: Vec<Vec<u8>>,
        extension: bool,
        trailers: Vec<String>,
    },
}

impl Model {
    /// The bytes a client sends, and the names the recorder must report.
    fn wire(&self) -> (Vec<u8>, Vec<String>) {
        let mut names = self.names.clone();
        let mut out = format!("{} /p?q=1 HTTP/1.1\r\n", self.method).into_bytes();
        for name in &self.names {
            out.extend(format!("{name}: v \r\n").as_bytes());
        }
        match &self.body {
            Body::None => {}
            Body::Sized(bytes) => {
                out.extend(format!("Content-Length: {}\r\n", bytes.len()).as_bytes());
                names.push("Content-Length".into());
            }
            Body::Chunked { .. } => {
                out.extend(b"transfer-ENCODING: chunked\r\n");
                names.push("transfer-ENCODING".into());
            }
        }
        out.extend(b"\r\n");
        match &self.body {
            Body::None => {}
            Body::Sized(bytes) => out.extend(bytes),
            Body::Chunked {
                chunks,
                extension,
                trailers,
            } => {
                for chunk in chunks.iter().filter(|c| !c.is_empty()) {
                    out.extend(format!("{:X}", chunk.len()).as_bytes());
                    if *extension {
                        out.extend(b" ;k=\"a b\"");
                    }
                    out.extend(b"\r\n");
                    out.extend(chunk);
                    out.extend(b"\r\n");
                }
                out.extend(b"0\r\n");
                for trailer in trailers {
                    out.extend(format!("{trailer}: t\r\n").as_bytes());
                }
                out.extend(b"\r\n");
            }
        }
        (out, names)
    }
}

fn name_strategy() -> impl Strategy<Value = String> {
    // `X-` keeps generated names clear of the framing headers.
    "[a-zA-Z0-9]{1,6}(-[a-zA-Z]{1,5}){0,2}".prop_map(|n| format!("X-{n}"))
}

fn body_strategy() -> impl Strategy<Value = Body> {
    let bytes = || prop::collection::vec(any::<u8>(), 0..40);
    prop_oneof![
        Just(Body::None),
        bytes().prop_map(Body::Sized),
        (
            prop::collection::vec(bytes(), 0..4),
            any::<bool>(),
            prop::collection::vec(name_strategy(), 0..3),
        )
            .prop_map(|(chunks, extension, trailers)| Body::Chunked {
                chunks,
                extension,
                trailers,
            }),
    ]
}

fn model_strategy() -> impl Strategy<Value = Model> {
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
        prop::collection::vec(name_strategy(), 0..6),
        body_strategy(),
    )
        .prop_map(|(method, names, body)| Model {
            method,
            names,
            body,
        })
}

proptest! {
    /// Pipelined requests of any framing, cut anywhere: the recorder reports exactly the names
    /// the model sent, in order, and keeps recording.
    #[test]
    fn recorder_matches_the_model(
        models in prop::collection::vec(model_strategy(), 1..5),
        mut cuts in prop::collection::vec(0usize..2000, 0..12),
    ) {
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for model in &models {
            let (bytes, names) = model.wire();
            stream.extend(bytes);
            expected.push(names);
        }
        cuts.sort_unstable();
        let (heads, stopped) = record_cut(&stream, &cuts, 64 * 1024);
        prop_assert_eq!(heads, expected);
        prop_assert!(!stopped);
    }

    /// Whatever the bytes, how they are cut never changes what is recorded.
    #[test]
    fn cutting_never_changes_the_outcome(
        stream in prop::collection::vec(
            prop_oneof![
                Just(b'\r'), Just(b'\n'), Just(b':'), Just(b' '), Just(b'0'), Just(b'5'),
                any::<u8>(),
            ],
            0..200,
        ),
        prefix in any::<bool>(),
        mut cuts in prop::collection::vec(0usize..300, 0..8),
    ) {
        let mut bytes = Vec::new();
        if prefix {
            bytes.extend(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        }
        bytes.extend(stream);
        cuts.sort_unstable();
        prop_assert_eq!(record_cut(&bytes, &cuts, 64 * 1024), record(&bytes));
    }
}
