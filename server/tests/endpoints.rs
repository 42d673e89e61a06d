//! Fixtures, fault endpoints, static files and CORS.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use serde_json::Value;
use sse_server::fixtures::FIXTURES;
use sse_server::Config;

#[tokio::test]
async fn every_fixture_is_byte_exact() {
    let server = TestServer::start(config()).await;
    for (name, bytes) in FIXTURES {
        let (head, body) = server.get(&format!("/fixture/{name}?close=1")).await;
        assert_eq!(head.status, 200, "{name}");
        assert_eq!(head.header("content-type"), Some("text/event-stream"));
        assert_eq!(head.header("cache-control"), Some("no-cache"));
        assert_eq!(head.header("x-accel-buffering"), Some("no"));
        assert_eq!(&body, bytes, "{name}");
    }
    assert_eq!(server.stats().await["open_connections"], 0);
    server.stop().await;
}

#[tokio::test]
async fn fixture_contents_match_the_documented_cases() {
    let get = |n: &str| sse_server::fixtures::get(n).unwrap();
    assert_eq!(
        parse_events(get("basic")),
        ["one", "two", "three"]
            .iter()
            .enumerate()
            .map(|(i, d)| Ev {
                id: Some((i + 1).to_string()),
                event: None,
                data: d.to_string()
            })
            .collect::<Vec<_>>()
    );
    assert!(get("bom").starts_with(b"\xEF\xBB\xBFdata: bom\n\n"));
    assert!(std::str::from_utf8(get("unicode"))
        .unwrap()
        .contains("héllo wörld ✓ 🚀"));
    assert!(!get("cr").contains(&b'\n'));
    assert!(get("crlf").windows(2).any(|w| w == b"\r\n"));
    assert!(get("retry").starts_with(b"retry: 1500\n"));
    assert!(get("empty-data").starts_with(b"data\n\n"));
    for name in [
        "basic",
        "named",
        "json",
        "multiline",
        "comments",
        "bom",
        "crlf",
        "cr",
        "unicode",
        "retry",
        "id-persist",
        "empty-data",
    ] {
        assert!(sse_server::fixtures::get(name).is_some(), "{name}");
    }
}

#[tokio::test]
async fn fixture_chunking_and_delay() {
    let server = TestServer::start(config()).await;
    let bytes = sse_server::fixtures::get("basic").unwrap();
    let started = std::time::Instant::now();
    let (mut conn, head) = Conn::open(
        server.addr,
        "GET",
        "/fixture/basic?chunk=7&delay_ms=10&close=1",
        &[],
        b"",
    )
    .await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("transfer-encoding"), Some("chunked"));
    let mut chunks = Vec::new();
    while let Some(c) = within("chunk", conn.next_data()).await {
        chunks.push(c);
    }
    let expected: Vec<Vec<u8>> = bytes.chunks(7).map(<[u8]>::to_vec).collect();
    assert_eq!(chunks, expected);
    assert!(started.elapsed() >= Duration::from_millis(10 * (expected.len() as u64 - 1)));

    // chunk=1 splits multi-byte UTF-8 sequences; the bytes are still exact.
    let (_, body) = server.get("/fixture/unicode?chunk=1&close=1").await;
    assert_eq!(body, sse_server::fixtures::get("unicode").unwrap());

    // Bad parameters and unknown names.
    assert_eq!(server.get("/fixture/basic?chunk=x").await.0.status, 400);
    assert_eq!(server.get("/fixture/basic?delay_ms=-1").await.0.status, 400);
    let (head, body) = server.get("/fixture/nope").await;
    assert_eq!(head.status, 404);
    assert!(String::from_utf8_lossy(&body).contains("unknown fixture"));
    server.stop().await;
}

#[tokio::test]
async fn fixture_without_close_stays_open() {
    let server = TestServer::start(config()).await;
    let (mut conn, _) = Conn::open(server.addr, "GET", "/fixture/named", &[], b"").await;
    let mut acc = Vec::new();
    let want = sse_server::fixtures::get("named").unwrap();
    within(
        "fixture",
        conn.read_until(&mut acc, |b| b.len() >= want.len()),
    )
    .await;
    assert_eq!(acc, want);
    conn.expect_silence(Duration::from_millis(300)).await;
    server.wait_open(1).await;
    drop(conn);
    server.wait_open(0).await;
    server.stop().await;
}

#[tokio::test]
async fn status_endpoint() {
    let server = TestServer::start(config()).await;
    for code in [201u16, 301, 400, 401, 404, 418, 500, 502, 503, 599] {
        let (head, body) = server.get(&format!("/status/{code}")).await;
        assert_eq!(head.status, code);
        assert_eq!(head.header("content-type"), Some("text/plain"));
        assert_eq!(body, format!("status {code}").as_bytes());
        assert!(!head.has("retry-after"));
    }
    let (head, body) = server.get("/status/503?retry_after=7").await;
    assert_eq!((head.status, head.header("retry-after")), (503, Some("7")));
    assert_eq!(body, b"status 503");

    let (head, body) = server.get("/status/204").await;
    assert_eq!(head.status, 204);
    assert!(body.is_empty());

    for bad in ["99", "600", "1000", "abc", "-1", "200x"] {
        let (head, _) = server.get(&format!("/status/{bad}")).await;
        assert_eq!(head.status, 400, "{bad}");
    }
    // Informational codes cannot be final responses: refused with a 400 that says so.
    for code in ["100", "101", "102", "103", "199"] {
        let (head, body) = server.get(&format!("/status/{code}")).await;
        assert_eq!(head.status, 400, "{code}");
        let msg = String::from_utf8_lossy(&body);
        assert!(msg.contains("informational"), "{code}: {msg}");
    }

    // 200 is an SSE stream with one event, held open.
    let (mut conn, head) =
        Conn::open(server.addr, "GET", "/status/200?retry_after=3", &[], b"").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert_eq!(head.header("retry-after"), Some("3"));
    assert_eq!(
        within("ok", conn.next_data()).await.unwrap(),
        b"data: ok\n\n"
    );
    conn.expect_silence(Duration::from_millis(200)).await;
    drop(conn);
    server.wait_open(0).await;
    server.stop().await;
}

#[tokio::test]
async fn wrong_type_and_set_cookie() {
    let server = TestServer::start(config()).await;
    let (head, body) = server.get("/wrong-type").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/html"));
    assert_eq!(body, b"data: this is not an event stream\n\n");

    let (head, body) = server.get("/set-cookie").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/plain"));
    assert_eq!(
        head.header("set-cookie"),
        Some("sse_test=1; Path=/; SameSite=Lax")
    );
    assert_eq!(body, b"ok");
    server.stop().await;
}

#[tokio::test]
async fn finite_counts_resumes_and_ends() {
    let server = TestServer::start(config()).await;
    let (head, body) = server.get("/finite?n=3").await;
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "retry: 200\n\nid: 1\ndata: event 1\n\nid: 2\ndata: event 2\n\nid: 3\ndata: event 3\n\n"
    );

    let (_, body) = request(
        server.addr,
        "GET",
        "/finite?n=2&event=step&retry=50",
        &[("Last-Event-ID", "3")],
        b"",
    )
    .await;
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "retry: 50\n\nid: 4\nevent: step\ndata: event 4\n\nid: 5\nevent: step\ndata: event 5\n\n"
    );
    let (_, body) = server.get("/finite?n=1&lastEventId=41").await;
    assert_eq!(ids(&parse_events(&body)), [42]);

    // n is capped at 100000.
    let (_, body) = server.get("/finite?n=999999999").await;
    let evs = parse_events(&body);
    assert_eq!(evs.len(), 100_000);
    assert_eq!(ids(&evs[99_999..]), [100_000]);

    // Overflowing ids end the stream instead of wrapping.
    let (_, body) = request(
        server.addr,
        "GET",
        "/finite?n=5",
        &[("Last-Event-ID", &(u64::MAX - 2).to_string())],
        b"",
    )
    .await;
    assert_eq!(ids(&parse_events(&body)), [u64::MAX - 1, u64::MAX]);

    assert_eq!(server.get("/finite?n=abc").await.0.status, 400);
    assert_eq!(server.get("/finite?event=a%0Ab").await.0.status, 400);
    assert_eq!(server.stats().await["open_connections"], 0);
    server.stop().await;
}

#[tokio::test]
async fn echo_reports_the_request() {
    let server = TestServer::start(Config {
        max_body_bytes: 16,
        ..config()
    })
    .await;
    let (mut conn, head) = Conn::open(
        server.addr,
        "POST",
        "/echo?a=1&b=two",
        &[("X-Custom", "Value"), ("Cookie", "sse_test=1")],
        b"hello body",
    )
    .await;
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    let data = within("echo", conn.next_data()).await.unwrap();
    let text = String::from_utf8(data).unwrap();
    assert!(
        text.starts_with("data: {") && text.ends_with("}\n\n"),
        "{text}"
    );
    let v: Value = serde_json::from_str(&text[6..text.len() - 2]).unwrap();
    assert_eq!(v["method"], "POST");
    assert_eq!(v["body"], "hello body");
    assert_eq!(v["query"], "a=1&b=two");
    assert_eq!(v["headers"]["x-custom"], "Value");
    assert_eq!(v["headers"]["cookie"], "sse_test=1");
    assert_eq!(v["headers"]["content-length"], "10");
    conn.expect_silence(Duration::from_millis(200)).await;
    drop(conn);

    let (_, body) = server.get("/echo?close=1").await;
    let evs = parse_events(&body);
    assert_eq!(evs.len(), 1);
    let v: Value = serde_json::from_str(&evs[0].data).unwrap();
    assert_eq!(
        (v["method"].as_str(), v["body"].as_str()),
        (Some("GET"), Some(""))
    );
    assert_eq!(v["query"], "close=1");

    // The echoed body is capped at max-body-bytes (and the response then ends).
    let (_, body) = request(
        server.addr,
        "POST",
        "/echo",
        &[],
        b"0123456789abcdefOVERFLOW",
    )
    .await;
    let v: Value = serde_json::from_str(&parse_events(&body)[0].data).unwrap();
    assert_eq!(v["body"], "0123456789abcdef");
    server.wait_open(0).await;
    server.stop().await;
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "sse-server-test-{tag}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, rel: &str, contents: &[u8]) {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn static_files_pkg_and_mounts() {
    let tmp = TempDir::new("static");
    tmp.write("www/index.html", b"<h1>demo</h1>");
    tmp.write("www/app.js", b"console.log(1)");
    tmp.write("www/sub/page.html", b"sub");
    tmp.write("pkg/lib_bg.wasm", b"\0asm");
    tmp.write("pkg/lib.js", b"export {}");
    tmp.write("app/index.html", b"app index");
    tmp.write("app/node_modules/pkg/index.mjs", b"export const x = 1;");
    tmp.write("secret.txt", b"secret");
    let server = TestServer::start(Config {
        www: tmp.0.join("www"),
        pkg: tmp.0.join("pkg"),
        mounts: vec![("/app".to_string(), tmp.0.join("app"))],
        ..config()
    })
    .await;

    let check = |path: &'static str, ct: &'static str, body: &'static [u8]| {
        let server = &server;
        async move {
            let (head, got) = server.get(path).await;
            assert_eq!(head.status, 200, "{path}");
            assert!(
                head.header("content-type").unwrap().starts_with(ct),
                "{path}: {:?}",
                head.header("content-type")
            );
            assert_eq!(head.header("cache-control"), Some("no-cache"), "{path}");
            assert_eq!(got, body, "{path}");
        }
    };
    check("/", "text/html", b"<h1>demo</h1>").await;
    check("/index.html", "text/html", b"<h1>demo</h1>").await;
    check("/app.js", "text/javascript", b"console.log(1)").await;
    check("/sub/page.html", "text/html", b"sub").await;
    check("/pkg/lib_bg.wasm", "application/wasm", b"\0asm").await;
    check("/pkg/lib.js", "text/javascript", b"export {}").await;
    check("/app/", "text/html", b"app index").await;
    check(
        "/app/node_modules/pkg/index.mjs",
        "text/javascript",
        b"export const x = 1;",
    )
    .await;

    let (head, _) = server.get("/app").await;
    assert_eq!((head.status, head.header("location")), (307, Some("/app/")));
    let (head, _) = server.get("/sub").await;
    assert_eq!(head.header("location"), Some("/sub/"));
    for missing in [
        "/nope.html",
        "/pkg/nope.js",
        "/app/nope",
        "/../secret.txt",
        "/pkg/../../secret.txt",
        "/app/..%2f..%2fsecret.txt",
    ] {
        let (head, body) = server.get(missing).await;
        assert!(
            head.status == 404 || head.status == 400,
            "{missing}: {}",
            head.status
        );
        assert_ne!(body, b"secret");
    }
    server.stop().await;

    // Missing directories are 404s, not crashes.
    let server = TestServer::start(Config {
        www: tmp.0.join("does-not-exist"),
        pkg: tmp.0.join("nor-this"),
        ..config()
    })
    .await;
    assert_eq!(server.get("/").await.0.status, 404);
    assert_eq!(server.get("/pkg/x.wasm").await.0.status, 404);
    assert_eq!(server.get("/stats").await.0.status, 200);
    server.stop().await;
}

const ORIGIN: &str = "http://127.0.0.1:9000";

#[tokio::test]
async fn cors_only_in_test_mode_for_listed_origins() {
    let cors_headers = [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-expose-headers",
        "access-control-allow-methods",
        "access-control-allow-headers",
    ];

    // Not in test mode: never any CORS headers, even for a listed origin.
    let server = TestServer::start(Config {
        cors_origins: vec![ORIGIN.to_string()],
        ..config()
    })
    .await;
    let (head, _) = request(server.addr, "GET", "/stats", &[("Origin", ORIGIN)], b"").await;
    assert_eq!(head.status, 200);
    for h in cors_headers {
        assert!(!head.has(h), "{h}");
    }
    server.stop().await;

    let server = TestServer::start(Config {
        test_mode: true,
        cors_origins: vec![ORIGIN.to_string(), "http://localhost:1".to_string()],
        ..config()
    })
    .await;
    // Listed origin, simple request (also on error responses and streams).
    for path in [
        "/stats",
        "/status/503?retry_after=2",
        "/fixture/basic?close=1",
    ] {
        let (head, _) = request(server.addr, "GET", path, &[("Origin", ORIGIN)], b"").await;
        assert_eq!(
            head.header("access-control-allow-origin"),
            Some(ORIGIN),
            "{path}"
        );
        assert_eq!(
            head.header("access-control-allow-credentials"),
            Some("true")
        );
        assert!(head.header("vary").unwrap().contains("Origin"));
        assert!(head
            .header("access-control-expose-headers")
            .unwrap()
            .contains("Retry-After"));
    }
    // Preflight from the listed origin mirrors the requested headers.
    let (head, _) = request(
        server.addr,
        "OPTIONS",
        "/publish",
        &[
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type,x-test"),
        ],
        b"",
    )
    .await;
    assert!(head.status == 204 || head.status == 200);
    assert_eq!(head.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        head.header("access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(
        head.header("access-control-allow-headers"),
        Some("content-type,x-test")
    );
    let methods = head.header("access-control-allow-methods").unwrap();
    assert!(methods.contains("GET") && methods.contains("POST"));

    // Other origins (including near misses) get nothing, preflight or not.
    for other in [
        "http://evil.test",
        "http://127.0.0.1:9000/",
        "HTTP://127.0.0.1:9000",
    ] {
        let (head, _) = request(server.addr, "GET", "/stats", &[("Origin", other)], b"").await;
        let (pre, _) = request(
            server.addr,
            "OPTIONS",
            "/publish",
            &[("Origin", other), ("Access-Control-Request-Method", "POST")],
            b"",
        )
        .await;
        for h in cors_headers {
            assert!(!head.has(h), "{other} {h}");
            assert!(!pre.has(h), "{other} preflight {h}");
        }
    }
    // No Origin header: no CORS headers.
    let (head, _) = server.get("/stats").await;
    assert!(!head.has("access-control-allow-origin"));
    server.stop().await;
}

#[tokio::test]
async fn id_echo_sends_the_id_and_echoes_query_and_header() {
    let server = TestServer::start(config()).await;
    let (head, body) = request(
        server.addr,
        "GET",
        "/id-echo?retry=20&id=a2",
        &[("Last-Event-ID", "a0")],
        b"",
    )
    .await;
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "retry: 20\nid: a2\ndata: {\"lastEventId\":\"a0\",\"query\":\"retry=20&id=a2\"}\n\n"
    );
    let (_, body) = server.get("/id-echo?id=").await;
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "id: \ndata: {\"lastEventId\":null,\"query\":\"id=\"}\n\n"
    );
    let (head, _) = server.get("/id-echo?id=a%0Ab").await;
    assert_eq!(head.status, 400);
    server.stop().await;
}
