//! `POST /chat` token streaming and its resume by `GET /chat/{reply}`, seen by a raw HTTP/1.1
//! client.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use sse_server::Config;

const JSON: (&str, &str) = ("Content-Type", "application/json");
const CLOSE: (&str, &str) = ("Connection", "close");
const LISTED: &str = "http://127.0.0.1:9000";

fn test_mode() -> Config {
    Config {
        test_mode: true,
        ..config()
    }
}

/// The documented text of a reply, computed independently of the server: the prompt's words
/// (long ones cut into 16-character pieces) cycled, a space before every token that starts a
/// word except the first.
fn expected_tokens(prompt: &str, n: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    for word in prompt.split_whitespace() {
        let chars: Vec<char> = word.chars().collect();
        for (i, piece) in chars.chunks(16).enumerate() {
            pieces.push((piece.iter().collect::<String>(), i == 0));
        }
    }
    (0..n)
        .map(|i| {
            let (piece, starts_word) = &pieces[i % pieces.len()];
            if *starts_word && i > 0 {
                format!(" {piece}")
            } else {
                piece.clone()
            }
        })
        .collect()
}

fn body(prompt: &str, tokens: u64, interval_ms: u64) -> String {
    serde_json::json!({ "prompt": prompt, "tokens": tokens, "interval_ms": interval_ms })
        .to_string()
}

/// Starts `POST /chat{query}` with `json` and returns the connection, the head and the reply id
/// (from `Location`).
async fn post_chat(
    server: &TestServer,
    query: &str,
    json: &str,
    extra: &[(&str, &str)],
) -> (Conn, Head, String) {
    let mut headers = vec![JSON, CLOSE];
    headers.extend_from_slice(extra);
    let path = format!("/chat{query}");
    let (conn, head) = Conn::open(server.addr, "POST", &path, &headers, json.as_bytes()).await;
    assert_eq!(head.status, 200, "POST {path} {json}");
    let location = head.header("location").expect("Location").to_string();
    let reply = location
        .strip_prefix("/chat/")
        .unwrap_or_else(|| panic!("Location {location}"))
        .to_string();
    (conn, head, reply)
}

/// Everything left on `conn`, parsed: the events and whether the body ended with the
/// terminating chunk (false: the connection was dropped).
async fn events_to_close(conn: &mut Conn) -> (Vec<Ev>, bool) {
    let (data, terminated) = dechunk(&conn.raw_rest().await);
    (parse_events(&data), terminated)
}

/// A refused POST: its status and body.
async fn post_status(
    server: &TestServer,
    query: &str,
    headers: &[(&str, &str)],
    json: &str,
) -> (u16, String) {
    let (head, body) = request(
        server.addr,
        "POST",
        &format!("/chat{query}"),
        headers,
        json.as_bytes(),
    )
    .await;
    (head.status, String::from_utf8_lossy(&body).into_owned())
}

/// `GET /chat/{reply}{query}` with `headers`: the connection and head.
async fn resume(
    server: &TestServer,
    reply: &str,
    query: &str,
    headers: &[(&str, &str)],
) -> (Conn, Head) {
    let mut all = headers.to_vec();
    all.push(CLOSE);
    Conn::open(
        server.addr,
        "GET",
        &format!("/chat/{reply}{query}"),
        &all,
        b"",
    )
    .await
}

/// The events a complete resume from `query`/`headers` delivers (asserting it ends cleanly).
async fn resume_events(
    server: &TestServer,
    reply: &str,
    query: &str,
    headers: &[(&str, &str)],
) -> Vec<Ev> {
    let (mut conn, head) = resume(server, reply, query, headers).await;
    assert_eq!(head.status, 200, "GET /chat/{reply}{query} {headers:?}");
    let (events, terminated) = events_to_close(&mut conn).await;
    assert!(terminated, "the resume ends with the stream");
    events
}

async fn reply_stats(server: &TestServer, reply: &str) -> Value {
    let (head, body) = server.get(&format!("/chat/{reply}/stats")).await;
    assert_eq!(head.status, 200);
    serde_json::from_slice(&body).unwrap()
}

async fn wait_done(server: &TestServer, reply: &str) -> Value {
    within("the reply to be generated", async {
        loop {
            let stats = reply_stats(server, reply).await;
            if stats["done"] == true {
                return stats;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
}

/// Asserts `events` are the tokens `from..=n` of `reply` with `texts`, then `done`.
fn assert_tokens_then_done(events: &[Ev], reply: &str, from: usize, texts: &[String]) {
    let n = texts.len();
    assert_eq!(events.len(), n - from + 2, "tokens {from}..={n} and done");
    for (ev, index) in events.iter().zip(from..=n) {
        assert_eq!(ev.id.as_deref(), Some(&*format!("{reply}:{index}")));
        assert_eq!(ev.event.as_deref(), Some("token"));
        assert_eq!(ev.data, texts[index - 1], "token {index}");
    }
    let done = events.last().unwrap();
    assert_eq!(done.id.as_deref(), Some(&*format!("{reply}:{}", n + 1)));
    assert_eq!(done.event.as_deref(), Some("done"));
    assert_eq!(done.data, "[DONE]");
}

#[tokio::test]
async fn tokens_stream_in_order_then_done_and_the_stream_ends() {
    let server = TestServer::start(config()).await;
    let prompt = "The quick brown fox jumps over Pneumonoultramicroscopicsilicovolcanoconiosis";
    let (mut conn, head, reply) = post_chat(&server, "", &body(prompt, 23, 0), &[]).await;
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert_eq!(head.header("cache-control"), Some("no-cache"));
    assert_eq!(reply.len(), 16);
    assert!(reply.bytes().all(|b| b.is_ascii_hexdigit()));
    let (events, terminated) = events_to_close(&mut conn).await;
    assert!(terminated);
    let texts = expected_tokens(prompt, 23);
    assert_eq!(
        texts[6..10],
        [
            " Pneumonoultramic",
            "roscopicsilicovo",
            "lcanoconiosis",
            " The"
        ]
    );
    assert_tokens_then_done(&events, &reply, 1, &texts);

    // Defaults: 100 tokens of the fixed prompt, every 50 ms (first at once).
    let (mut conn, _, reply) = post_chat(&server, "?retry=250", "{}", &[]).await;
    let first = within("the first write", conn.next_data()).await.unwrap();
    assert_eq!(first, b"retry: 250\n\n");
    let stats = reply_stats(&server, &reply).await;
    assert_eq!(
        (&stats["tokens"], &stats["interval_ms"]),
        (&100.into(), &50.into())
    );
    let mut got = Vec::new();
    conn.read_until(&mut got, |d| count_events(d) >= 1).await;
    assert_eq!(parse_events(&got)[0].data, "Hello");
    server.stop().await;
}

#[tokio::test]
async fn a_post_cut_after_50_of_200_resumes_by_get_with_none_lost_or_repeated() {
    let server = TestServer::start(test_mode()).await;
    let prompt = "one two three four five six seven";
    let texts = expected_tokens(prompt, 200);
    // 200 tokens 5 ms apart: the resume comes while the reply is still being generated.
    let (mut conn, _, reply) =
        post_chat(&server, "?cut_after=50", &body(prompt, 200, 5), &[]).await;
    let (first, terminated) = events_to_close(&mut conn).await;
    assert!(!terminated, "the POST's connection was dropped, not ended");
    assert_eq!(first.len(), 50);
    for (i, ev) in first.iter().enumerate() {
        assert_eq!(ev.id.as_deref(), Some(&*format!("{reply}:{}", i + 1)));
        assert_eq!(ev.data, texts[i]);
    }
    let last = first.last().unwrap().id.clone().unwrap();
    let rest = resume_events(&server, &reply, "", &[("Last-Event-ID", &last)]).await;
    assert_tokens_then_done(&rest, &reply, 51, &texts);
    // Together: every token once, in order.
    let all: String = first.iter().chain(&rest).map(|e| e.data.as_str()).collect();
    assert_eq!(all, format!("{}[DONE]", texts.concat()));
    let stats = wait_done(&server, &reply).await;
    assert_eq!((&stats["posts"], &stats["resumes"]), (&1.into(), &1.into()));
    assert_eq!(stats["generated"], 200);
    server.wait_open(0).await;
    server.stop().await;
}

#[tokio::test]
async fn a_resume_follows_the_generator_live() {
    let server = TestServer::start(test_mode()).await;
    let (mut conn, _, reply) = post_chat(&server, "?cut_after=1", &body("a b", 4, 300), &[]).await;
    let (first, _) = events_to_close(&mut conn).await;
    assert_eq!(first.len(), 1);
    let (mut conn, _) = resume(&server, &reply, &format!("?lastEventId={reply}:1"), &[]).await;
    let mut got = Vec::new();
    conn.read_until(&mut got, |d| count_events(d) >= 1).await;
    assert_eq!(
        parse_events(&got)[0].id.as_deref(),
        Some(&*format!("{reply}:2"))
    );
    assert_eq!(
        reply_stats(&server, &reply).await["done"],
        false,
        "still generating"
    );
    assert_eq!(reply_stats(&server, &reply).await["open_streams"], 1);
    let (rest, terminated) = events_to_close(&mut conn).await;
    assert!(terminated);
    let mut events = parse_events(&got);
    events.extend(rest);
    assert_tokens_then_done(&events, &reply, 2, &expected_tokens("a b", 4));
    server.stop().await;
}

#[tokio::test]
async fn generation_goes_on_after_the_client_leaves_and_a_resume_without_id_replays_all() {
    let server = TestServer::start(config()).await;
    let (mut conn, _, reply) = post_chat(&server, "", &body("x y z", 20, 10), &[]).await;
    let mut got = Vec::new();
    conn.read_until(&mut got, |d| count_events(d) >= 2).await;
    drop(conn);
    let stats = wait_done(&server, &reply).await;
    assert_eq!(stats["generated"], 20);
    within("the POST's stream to close", async {
        while reply_stats(&server, &reply).await["open_streams"] != 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let texts = expected_tokens("x y z", 20);
    let all = resume_events(&server, &reply, "", &[]).await;
    assert_tokens_then_done(&all, &reply, 1, &texts);
    // An empty Last-Event-ID, or `:0`, is the start too.
    assert_eq!(
        resume_events(&server, &reply, "", &[("Last-Event-ID", "")]).await,
        all
    );
    let zero = format!("?lastEventId={reply}:0");
    assert_eq!(resume_events(&server, &reply, &zero, &[]).await, all);
    server.stop().await;
}

#[tokio::test]
async fn resume_points_and_refusals() {
    let server = TestServer::start(config()).await;
    let (mut conn, _, reply) = post_chat(&server, "", &body("p q", 5, 0), &[]).await;
    events_to_close(&mut conn).await;
    let (mut conn, _, other) = post_chat(&server, "", &body("p q", 5, 0), &[]).await;
    events_to_close(&mut conn).await;
    let texts = expected_tokens("p q", 5);

    let at3 = format!("{reply}:3");
    let by_query = resume_events(&server, &reply, &format!("?lastEventId={at3}"), &[]).await;
    assert_tokens_then_done(&by_query, &reply, 4, &texts);
    // The header wins over the query parameter.
    let both = resume_events(
        &server,
        &reply,
        &format!("?lastEventId={reply}:1&retry=9"),
        &[("Last-Event-ID", &at3)],
    )
    .await;
    assert_eq!(both, by_query);
    // After `done` there is nothing left: 204, which tells an EventSource to stop.
    let (head, _) = request(
        server.addr,
        "GET",
        &format!("/chat/{reply}"),
        &[("Last-Event-ID", &format!("{reply}:6"))],
        b"",
    )
    .await;
    assert_eq!(head.status, 204);

    for (id, says) in [
        (format!("{reply}:7"), "is not an event of this reply"),
        (format!("{reply}:x"), "is not an event of this reply"),
        (format!("{other}:2"), "is an event of reply"),
        ("42".to_string(), "is not a chat event id"),
    ] {
        let (head, body) = request(
            server.addr,
            "GET",
            &format!("/chat/{reply}"),
            &[("Last-Event-ID", &id)],
            b"",
        )
        .await;
        let body = String::from_utf8_lossy(&body);
        assert_eq!(head.status, 400, "{id}: {body}");
        assert!(body.contains(says), "{id}: {body}");
    }
    for path in ["/chat/0123456789abcdef", "/chat/nope/stats", "/chat/nope"] {
        let (head, body) = server.get(path).await;
        assert_eq!(head.status, 404, "{path}");
        assert!(String::from_utf8_lossy(&body).contains("unknown reply"));
    }
    assert_eq!(server.get("/chat").await.0.status, 405);
    // cut_after is a test-mode hook.
    let (head, body) = server.get(&format!("/chat/{reply}?cut_after=1")).await;
    assert_eq!(head.status, 400);
    assert!(String::from_utf8_lossy(&body).contains("--test-mode"));
    server.stop().await;
}

#[tokio::test]
async fn counters_show_posts_and_resumes_per_reply_and_in_total() {
    let server = TestServer::start(config()).await;
    let (mut conn, _, a) = post_chat(&server, "", &body("c", 5, 0), &[]).await;
    events_to_close(&mut conn).await;
    resume_events(&server, &a, "", &[]).await;
    resume_events(&server, &a, &format!("?lastEventId={a}:2"), &[]).await;
    let stats = reply_stats(&server, &a).await;
    assert_eq!((&stats["posts"], &stats["resumes"]), (&1.into(), &2.into()));
    assert_eq!(stats["open_streams"], 0);

    // A client that re-sends its POST with the ID it reached: counted on that reply, and the
    // request runs again as a new reply (what a resume avoids).
    let resent = format!("{a}:3");
    let (mut conn, _, b) =
        post_chat(&server, "", &body("c", 5, 0), &[("Last-Event-ID", &resent)]).await;
    let (events, _) = events_to_close(&mut conn).await;
    assert_ne!(a, b);
    assert_eq!(events[0].id.as_deref(), Some(&*format!("{b}:1")));
    let (sa, sb) = (
        reply_stats(&server, &a).await,
        reply_stats(&server, &b).await,
    );
    assert_eq!((&sa["posts"], &sa["resumes"]), (&2.into(), &2.into()));
    assert_eq!((&sb["posts"], &sb["resumes"]), (&1.into(), &0.into()));

    let stats = server.stats().await;
    let chat = &stats["chat"];
    assert_eq!(
        (&chat["replies"], &chat["posts"], &chat["resumes"]),
        (&2.into(), &2.into(), &2.into())
    );
    assert_eq!(stats["requests"]["/chat"], 2);
    server.stop().await;
}

#[tokio::test]
async fn requests_are_bounded() {
    let server = TestServer::start(Config {
        chat_tokens: 500,
        max_body_bytes: 200,
        ..config()
    })
    .await;
    let json = [JSON, CLOSE];
    for (body, says) in [
        (
            r#"{"tokens":501}"#,
            "\"tokens\" must be 1..=500 (--chat-tokens), got 501",
        ),
        (r#"{"tokens":0}"#, "\"tokens\" must be 1..=500"),
        (
            r#"{"interval_ms":10001}"#,
            "\"interval_ms\" must be 0..=10000",
        ),
        (
            r#"{"tokens":500,"interval_ms":2000}"#,
            "(tokens - 1) × interval_ms may be at most 600000",
        ),
        (r#"{"prompt":"  "}"#, "no word"),
        (r#"{"prompt":"x","model":"y"}"#, "unknown field `model`"),
        (r#"{"tokens":"3"}"#, "expected a JSON object"),
        ("not json", "expected a JSON object"),
    ] {
        let (status, msg) = post_status(&server, "", &json, body).await;
        assert_eq!(status, 400, "{body}: {msg}");
        assert!(msg.contains(says), "{body}: {msg}");
    }
    let big = body(&"w ".repeat(100), 1, 0);
    assert_eq!(post_status(&server, "", &json, &big).await.0, 413);
    for headers in [&[("Content-Type", "text/plain"), CLOSE][..], &[CLOSE]] {
        assert_eq!(post_status(&server, "", headers, "{}").await.0, 415);
    }
    let (status, msg) = post_status(&server, "?cut_after=3", &json, "{}").await;
    assert_eq!(status, 400);
    assert!(msg.contains("cut_after needs --test-mode"), "{msg}");
    assert_eq!(post_status(&server, "?retry=x", &json, "{}").await.0, 400);
    // Nothing refused started a reply.
    assert_eq!(server.stats().await["chat"]["posts"], 0);
    server.stop().await;
}

#[tokio::test]
async fn replies_kept_are_bounded_in_number_and_time() {
    let server = TestServer::start(Config {
        chat_replies: 2,
        ..config()
    })
    .await;
    // Two replies being generated (20 s each) fill the store: a third is refused.
    let (slow1, _, _) = post_chat(&server, "", &body("s", 3, 10_000), &[]).await;
    let (slow2, _, _) = post_chat(&server, "", &body("s", 3, 10_000), &[]).await;
    drop((slow1, slow2));
    let (status, msg) = post_status(&server, "", &[JSON, CLOSE], "{}").await;
    assert_eq!(status, 503, "{msg}");
    assert!(msg.contains("--chat-replies 2"), "{msg}");
    server.stop().await;

    let server = TestServer::start(Config {
        chat_replies: 2,
        ..config()
    })
    .await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (mut conn, _, id) = post_chat(&server, "", &body("f", 2, 0), &[]).await;
        events_to_close(&mut conn).await;
        ids.push(id);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // A third evicts the reply that finished longest ago.
    let (mut conn, _, _) = post_chat(&server, "", &body("f", 2, 0), &[]).await;
    events_to_close(&mut conn).await;
    assert_eq!(server.get(&format!("/chat/{}", ids[0])).await.0.status, 404);
    assert_eq!(resume_events(&server, &ids[1], "", &[]).await.len(), 3);
    assert_eq!(server.stats().await["chat"]["replies"], 2);
    server.stop().await;

    // Finished replies expire after --chat-ttl-ms.
    let server = TestServer::start(Config {
        chat_ttl_ms: 100,
        ..config()
    })
    .await;
    let (mut conn, _, reply) = post_chat(&server, "", &body("f", 2, 0), &[]).await;
    events_to_close(&mut conn).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.get(&format!("/chat/{reply}")).await.0.status, 404);
    assert_eq!(server.stats().await["chat"]["replies"], 0);
    server.stop().await;
}

#[tokio::test]
async fn chat_streams_count_against_the_connection_limit() {
    let server = TestServer::start(Config {
        max_connections: 1,
        ..test_mode()
    })
    .await;
    let (held, _, reply) = post_chat(&server, "", &body("h", 3, 10_000), &[]).await;
    let (status, _) = post_status(&server, "", &[JSON, CLOSE], "{}").await;
    assert_eq!(status, 503);
    assert_eq!(server.get(&format!("/chat/{reply}")).await.0.status, 503);
    assert_eq!(
        server.stats().await["chat"]["posts"],
        1,
        "the refused POST started nothing"
    );
    drop(held);
    server.wait_open(0).await;
    let (mut conn, head) = resume(&server, &reply, "?cut_after=1", &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(events_to_close(&mut conn).await.0.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn other_sites_cannot_post_and_listed_origins_can_resume_cross_origin() {
    let server = TestServer::start(Config {
        cors_origins: vec![LISTED.to_string()],
        ..test_mode()
    })
    .await;
    let (status, _) = post_status(
        &server,
        "",
        &[JSON, CLOSE, ("Origin", "http://evil.test")],
        "{}",
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(server.stats().await["chat"]["posts"], 0);

    let (pre, _) = request(
        server.addr,
        "OPTIONS",
        "/chat",
        &[
            ("Origin", LISTED),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        b"",
    )
    .await;
    assert_eq!(pre.header("access-control-allow-origin"), Some(LISTED));
    let (mut conn, head, reply) = post_chat(
        &server,
        "?cut_after=2",
        &body("o", 4, 0),
        &[("Origin", LISTED)],
    )
    .await;
    assert_eq!(head.header("access-control-allow-origin"), Some(LISTED));
    assert!(head
        .header("access-control-expose-headers")
        .unwrap()
        .contains("Location"));
    let (first, _) = events_to_close(&mut conn).await;
    assert_eq!(first.len(), 2);

    // The resume GET with Last-Event-ID needs a preflight: it is allowed the header.
    let (pre, _) = request(
        server.addr,
        "OPTIONS",
        &format!("/chat/{reply}"),
        &[
            ("Origin", LISTED),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "last-event-id"),
        ],
        b"",
    )
    .await;
    assert!(pre.status == 204 || pre.status == 200);
    assert_eq!(pre.header("access-control-allow-origin"), Some(LISTED));
    assert_eq!(
        pre.header("access-control-allow-headers"),
        Some("last-event-id")
    );
    let last = format!("{reply}:2");
    let (mut conn, head) = resume(
        &server,
        &reply,
        "",
        &[("Origin", LISTED), ("Last-Event-ID", &last)],
    )
    .await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("access-control-allow-origin"), Some(LISTED));
    let (rest, terminated) = events_to_close(&mut conn).await;
    assert!(terminated);
    assert_tokens_then_done(&rest, &reply, 3, &expected_tokens("o", 4));
    server.stop().await;
}

#[tokio::test]
async fn an_outage_drops_chat_streams_but_not_the_reply() {
    let server = TestServer::start(test_mode()).await;
    let (mut conn, _, reply) = post_chat(&server, "", &body("u v", 6, 100), &[]).await;
    let mut got = Vec::new();
    conn.read_until(&mut got, |d| count_events(d) >= 1).await;
    let (head, _) = request(server.addr, "POST", "/admin/outage?ms=50", &[], b"").await;
    assert_eq!(head.status, 200);
    let (_, terminated) = dechunk(&conn.raw_rest().await);
    assert!(!terminated, "dropped, not ended");
    within("the outage to end", async {
        while server.state.outages.active() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let events = resume_events(&server, &reply, &format!("?lastEventId={reply}:1"), &[]).await;
    assert_tokens_then_done(&events, &reply, 2, &expected_tokens("u v", 6));
    server.stop().await;
}
