//! /events, /publish, /stats, replay, limits and shutdown.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use sse_server::Config;

async fn open_events(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> (Conn, Head) {
    let (conn, head) = Conn::open(server.addr, "GET", path, headers, b"").await;
    assert_eq!(head.status, 200, "GET {path}");
    (conn, head)
}

/// Reads until `n` events arrived and returns them.
async fn read_events(conn: &mut Conn, acc: &mut Vec<u8>, n: usize) -> Vec<Ev> {
    within(
        &format!("{n} events"),
        conn.read_until(acc, |b| count_events(b) >= n),
    )
    .await;
    parse_events(acc)
}

#[tokio::test]
async fn events_stream_headers_and_retry_prelude() {
    let server = TestServer::start(config()).await;
    let (mut conn, head) = open_events(&server, "/events", &[]).await;
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert_eq!(head.header("cache-control"), Some("no-cache"));
    assert_eq!(head.header("x-accel-buffering"), Some("no"));
    assert!(!head.has("content-encoding"));
    assert!(!head.has("access-control-allow-origin"));
    let first = within("prelude", conn.next_data()).await.unwrap();
    assert_eq!(first, b"retry: 3000\n\n");
    server.stop().await;
}

#[tokio::test]
async fn publish_then_receive_in_order_with_ids() {
    let server = TestServer::start(config()).await;
    let (mut conn, _) = open_events(&server, "/events?channel=order", &[]).await;
    let mut acc = Vec::new();
    within("prelude", conn.read_until(&mut acc, |b| b.len() >= 13)).await;
    assert_eq!(acc, b"retry: 3000\n\n");
    acc.clear();

    let (head, body) = server
        .publish(r#"{"channel":"order","data":"first"}"#)
        .await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("application/json"));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["id"], 1);
    assert_eq!(v["channel"], "order");
    assert_eq!(v["receivers"], 1);
    assert_eq!(
        server
            .publish_ok(r#"{"channel":"order","event":"greet","data":"a\r\nb\rc\nd"}"#)
            .await,
        2
    );
    assert_eq!(
        server
            .publish_ok(r#"{"channel":"order","data":{"k":[1,2],"s":"x"}}"#)
            .await,
        3
    );
    within(
        "3 events",
        conn.read_until(&mut acc, |b| count_events(b) >= 3),
    )
    .await;
    assert_eq!(
        String::from_utf8(acc).unwrap(),
        "id: 1\ndata: first\n\n\
         id: 2\nevent: greet\ndata: a\ndata: b\ndata: c\ndata: d\n\n\
         id: 3\ndata: {\"k\":[1,2],\"s\":\"x\"}\n\n"
    );

    // Another channel is independent; default channel is demo.
    assert_eq!(server.publish_ok(r#"{"data":"to demo"}"#).await, 1);
    let stats = server.stats().await;
    assert_eq!(stats["channels"], 2);
    assert_eq!(stats["open_connections"], 1);
    server.stop().await;
}

#[tokio::test]
async fn no_resume_point_means_live_only() {
    let server = TestServer::start(config()).await;
    for i in 1..=3 {
        server
            .publish_ok(&format!(r#"{{"channel":"live","data":"old {i}"}}"#))
            .await;
    }
    let (mut conn, _) = open_events(&server, "/events?channel=live", &[]).await;
    let mut acc = Vec::new();
    within("prelude", conn.read_until(&mut acc, |b| b.len() >= 13)).await;
    server
        .publish_ok(r#"{"channel":"live","data":"new"}"#)
        .await;
    let evs = read_events(&mut conn, &mut acc, 1).await;
    assert_eq!(ids(&evs), [4]);
    assert_eq!(evs[0].data, "new");
    server.stop().await;
}

#[tokio::test]
async fn resume_with_last_event_id_header_and_query() {
    let server = TestServer::start(config()).await;
    for i in 1..=5 {
        server
            .publish_ok(&format!(r#"{{"channel":"r","data":"m{i}"}}"#))
            .await;
    }

    // Header.
    let (mut conn, _) = open_events(&server, "/events?channel=r", &[("Last-Event-ID", "2")]).await;
    let mut acc = Vec::new();
    let evs = read_events(&mut conn, &mut acc, 3).await;
    assert_eq!(ids(&evs), [3, 4, 5]);
    assert_eq!(evs[0].data, "m3");
    assert!(acc.starts_with(b"retry: 3000\n\nid: 3\n"));
    server.publish_ok(r#"{"channel":"r","data":"m6"}"#).await;
    let evs = read_events(&mut conn, &mut acc, 4).await;
    assert_eq!(ids(&evs), [3, 4, 5, 6]);

    // Query parameter.
    let (mut conn, _) = open_events(&server, "/events?channel=r&lastEventId=4", &[]).await;
    let mut acc = Vec::new();
    let evs = read_events(&mut conn, &mut acc, 2).await;
    assert_eq!(ids(&evs), [5, 6]);

    // The header wins over the query; a non-numeric header falls back to the query.
    let (mut conn, _) = open_events(
        &server,
        "/events?channel=r&lastEventId=1",
        &[("Last-Event-ID", "5")],
    )
    .await;
    let mut acc = Vec::new();
    assert_eq!(ids(&read_events(&mut conn, &mut acc, 1).await), [6]);
    let (mut conn, _) = open_events(
        &server,
        "/events?channel=r&lastEventId=5",
        &[("Last-Event-ID", "abc")],
    )
    .await;
    let mut acc = Vec::new();
    assert_eq!(ids(&read_events(&mut conn, &mut acc, 1).await), [6]);

    // A resume point from the future (e.g. before a restart) means live only.
    let (mut conn, _) =
        open_events(&server, "/events?channel=r", &[("Last-Event-ID", "999")]).await;
    let mut acc = Vec::new();
    within("prelude", conn.read_until(&mut acc, |b| b.len() >= 13)).await;
    server.publish_ok(r#"{"channel":"r","data":"m7"}"#).await;
    assert_eq!(ids(&read_events(&mut conn, &mut acc, 1).await), [7]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_during_concurrent_publish_has_no_gaps_or_duplicates() {
    const TOTAL: u64 = 300;
    let server = TestServer::start(config()).await;
    for i in 1..=50 {
        server
            .publish_ok(&format!(r#"{{"channel":"c","data":"{i}"}}"#))
            .await;
    }
    let addr = server.addr;
    let publisher = tokio::spawn(async move {
        for i in 51..=TOTAL {
            let body = format!(r#"{{"channel":"c","data":"{i}"}}"#);
            let (head, _) = request(
                addr,
                "POST",
                "/publish",
                &[("Content-Type", "application/json")],
                body.as_bytes(),
            )
            .await;
            assert_eq!(head.status, 200);
        }
    });
    // Several clients resume at different points while publishing goes on.
    let mut readers = Vec::new();
    for resume in [0u64, 20, 49, 50] {
        tokio::time::sleep(Duration::from_millis(15)).await;
        let (mut conn, _) = open_events(
            &server,
            "/events?channel=c",
            &[("Last-Event-ID", &resume.to_string())],
        )
        .await;
        readers.push(tokio::spawn(async move {
            let mut acc = Vec::new();
            let expected = (TOTAL - resume) as usize;
            within(
                "all events",
                conn.read_until(&mut acc, |b| count_events(b) >= expected),
            )
            .await;
            let evs = parse_events(&acc);
            (resume, ids(&evs), evs)
        }));
    }
    within("publisher", publisher).await.unwrap();
    for r in readers {
        let (resume, got, evs) = within("reader", r).await.unwrap();
        let want: Vec<u64> = (resume + 1..=TOTAL).collect();
        assert_eq!(got, want, "resume from {resume}");
        assert!(evs.iter().all(|e| e.data == e.id.clone().unwrap()));
    }
    server.stop().await;
}

#[tokio::test(flavor = "current_thread")]
async fn lagging_subscriber_recovers_from_the_buffer() {
    // Broadcast capacity 4: publishing 500 events without yielding forces RecvError::Lagged.
    let server = TestServer::start(Config {
        broadcast_capacity: 4,
        ..config()
    })
    .await;
    let (mut conn, _) = open_events(&server, "/events?channel=lag", &[]).await;
    let mut acc = Vec::new();
    within("prelude", conn.read_until(&mut acc, |b| b.len() >= 13)).await;
    let ch = server.state.hub.channel("lag").unwrap();
    for i in 1..=500u64 {
        ch.publish(None, &i.to_string());
    }
    let evs = read_events(&mut conn, &mut acc, 500).await;
    assert_eq!(ids(&evs), (1..=500).collect::<Vec<_>>());
    // And live delivery continues afterwards.
    ch.publish(Some("after"), "x");
    let evs = read_events(&mut conn, &mut acc, 501).await;
    assert_eq!(evs[500].event.as_deref(), Some("after"));
    server.stop().await;
}

#[tokio::test]
async fn replay_buffer_is_capped() {
    let server = TestServer::start(Config {
        replay: 3,
        ..config()
    })
    .await;
    for i in 1..=10 {
        server
            .publish_ok(&format!(r#"{{"channel":"cap","data":"{i}"}}"#))
            .await;
    }
    let (mut conn, _) = open_events(&server, "/events?channel=cap&lastEventId=1", &[]).await;
    let mut acc = Vec::new();
    assert_eq!(ids(&read_events(&mut conn, &mut acc, 3).await), [8, 9, 10]);
    server.stop().await;
}

#[tokio::test]
async fn publish_validation() {
    let server = TestServer::start(Config {
        max_body_bytes: 100,
        ..config()
    })
    .await;

    // Oversize, with Content-Length.
    let big = format!(r#"{{"data":"{}"}}"#, "x".repeat(200));
    let (head, body) = server.publish(&big).await;
    assert_eq!(head.status, 413);
    assert!(String::from_utf8_lossy(&body).contains("limit 100 bytes"));

    // Oversize, chunked without Content-Length.
    let mut raw = format!("POST /publish HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", server.addr).into_bytes();
    for _ in 0..3 {
        raw.extend_from_slice(format!("40\r\n{}\r\n", "y".repeat(64)).as_bytes());
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let (mut conn, head) = Conn::raw(server.addr, &raw).await;
    assert_eq!(head.status, 413);
    assert!(
        String::from_utf8_lossy(&within("body", conn.read_to_end()).await).contains("limit 100")
    );

    // Bad JSON and wrong shapes.
    for (body, needle) in [
        ("{not json", "invalid JSON"),
        ("[1,2]", "JSON object"),
        (r#"{"channel":"a"}"#, "data"),
        (r#"{"channel":5,"data":"x"}"#, "channel"),
        (r#"{"event":7,"data":"x"}"#, "event"),
        (r#"{"event":"a\nb","data":"x"}"#, "CR, LF"),
        (r#"{"event":"a\rb","data":"x"}"#, "CR, LF"),
        (r#"{"event":"a\u0000b","data":"x"}"#, "NUL"),
        (r#"{"channel":"","data":"x"}"#, "channel name"),
    ] {
        let (head, resp) = server.publish(body).await;
        assert_eq!(head.status, 400, "{body}");
        let msg = String::from_utf8_lossy(&resp);
        assert!(msg.contains(needle), "{body}: {msg}");
    }

    // Only JSON content types: not the ones a form or a "simple" cross-origin fetch can send,
    // and not none at all.
    for ct in [
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("json"),
        None,
    ] {
        let headers: Vec<(&str, &str)> = ct.iter().map(|ct| ("Content-Type", *ct)).collect();
        let (head, body) = request(
            server.addr,
            "POST",
            "/publish",
            &headers,
            br#"{"channel":"tp","data":"x"}"#,
        )
        .await;
        assert_eq!(head.status, 415, "{ct:?}");
        assert!(String::from_utf8_lossy(&body).contains("application/json"));
    }
    assert!(server.state.hub.channel("tp").unwrap().since(0).is_empty());

    // JSON with parameters (and `+json`) works, and ':' is fine in an event name.
    for ct in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/x+json",
    ] {
        let (head, body) = request(
            server.addr,
            "POST",
            "/publish",
            &[("Content-Type", ct)],
            br#"{"channel":"tp","event":"a:b","data":null}"#,
        )
        .await;
        assert_eq!(head.status, 200, "{ct}: {}", String::from_utf8_lossy(&body));
    }
    let ch = server.state.hub.channel("tp").unwrap();
    let ev = ch.since(0).pop().unwrap();
    assert_eq!(&ev.wire[..], b"id: 3\nevent: a:b\ndata: null\n\n");

    // GET is not allowed.
    assert_eq!(server.get("/publish").await.0.status, 405);
    server.stop().await;
}

#[tokio::test]
async fn channel_limit_evicts_idle_channels_and_refuses_only_when_all_are_in_use() {
    let server = TestServer::start(Config {
        max_channels: 2,
        ..config()
    })
    .await;
    server.publish_ok(r#"{"channel":"a","data":"x"}"#).await;
    server.publish_ok(r#"{"channel":"b","data":"x"}"#).await;
    // Nobody uses "a" or "b": the least recently used one makes room, again and again.
    for i in 0..20 {
        server
            .publish_ok(&format!(r#"{{"channel":"new{i}","data":"x"}}"#))
            .await;
        assert!(server.stats().await["channels"].as_u64().unwrap() <= 2);
    }
    // With both channels held by subscribers, a third is refused...
    let (mut c, _) = open_events(&server, "/events?channel=c", &[]).await;
    let (d, _) = open_events(&server, "/events?channel=d", &[]).await;
    within("c's prelude", c.next_data()).await.unwrap();
    let (head, body) = server.publish(r#"{"channel":"e","data":"x"}"#).await;
    assert_eq!(head.status, 503);
    assert!(String::from_utf8_lossy(&body).contains("too many channels"));
    assert_eq!(server.get("/events?channel=f").await.0.status, 503);
    // ...the held channels work...
    server.publish_ok(r#"{"channel":"c","data":"live"}"#).await;
    let mut acc = Vec::new();
    let evs = read_events(&mut c, &mut acc, 1).await;
    assert_eq!(evs[0].data, "live");
    // ...and once one is released, new channels are possible again.
    drop(d);
    server.wait_open(1).await;
    server.publish_ok(r#"{"channel":"e","data":"x"}"#).await;
    drop(c);
    server.wait_open(0).await;
    server.stop().await;
}

#[tokio::test]
async fn replay_memory_is_bounded_across_channels() {
    let event_cost = |id: u64, data: &str| format!("id: {id}\ndata: {data}\n\n").len() + 64;
    let budget = 20 * event_cost(1, &"x".repeat(100));
    let server = TestServer::start(Config {
        max_channels: 10,
        replay: 1000,
        replay_bytes: budget,
        ..config()
    })
    .await;
    let data = "x".repeat(100);
    // Far more channels than the limit and far more bytes than the budget: all accepted.
    for ch in 0..50 {
        for _ in 0..5 {
            server
                .publish_ok(&format!(r#"{{"channel":"c{ch}","data":"{data}"}}"#))
                .await;
        }
        assert!(server.state.hub.buffered_bytes() <= budget);
        assert!(server.state.hub.len() <= 10);
    }
    // The newest 20 events survive (channels c46..c49), the older ones were evicted.
    assert_eq!(server.state.hub.len(), 4);
    let (mut conn, _) = open_events(&server, "/events?channel=c49&lastEventId=0", &[]).await;
    let mut acc = Vec::new();
    assert_eq!(
        ids(&read_events(&mut conn, &mut acc, 5).await),
        [1, 2, 3, 4, 5]
    );
    drop(conn);
    // An evicted channel starts over, like after a restart: no replay, ids from 1.
    let (mut conn, _) = open_events(&server, "/events?channel=c0&lastEventId=2", &[]).await;
    let id = server
        .publish_ok(r#"{"channel":"c0","data":"again"}"#)
        .await;
    assert_eq!(id, 1);
    let mut acc = Vec::new();
    let evs = read_events(&mut conn, &mut acc, 1).await;
    assert_eq!(
        (evs[0].id.as_deref(), evs[0].data.as_str()),
        (Some("1"), "again")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_limit_503_and_recovery_after_disconnect() {
    let server = TestServer::start(Config {
        max_connections: 2,
        ..config()
    })
    .await;
    let (a, _) = open_events(&server, "/events", &[]).await;
    let (b, _) = open_events(&server, "/fixture/basic", &[]).await;
    server.wait_open(2).await;

    for path in [
        "/events",
        "/fixture/basic",
        "/finite",
        "/echo",
        "/status/200",
    ] {
        let (head, body) = server.get(path).await;
        assert_eq!(head.status, 503, "{path}");
        assert_eq!(head.header("retry-after"), Some("1"));
        assert!(String::from_utf8_lossy(&body).contains("too many connections (limit 2)"));
    }
    // Non-streaming endpoints still work.
    assert_eq!(server.get("/stats").await.0.status, 200);

    drop(a);
    server.wait_open(1).await;
    let (c, _) = open_events(&server, "/status/200", &[]).await;
    server.wait_open(2).await;
    drop(b);
    drop(c);
    server.wait_open(0).await;
    let stats = server.stats().await;
    assert!(stats["total_connections"].as_u64().unwrap() >= 3);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_open_streams_notice_disconnects() {
    let server = TestServer::start(Config {
        keepalive_ms: 0,
        ..config()
    })
    .await;
    let mut conns = Vec::new();
    for path in [
        "/events",
        "/fixture/basic",
        "/fixture/basic?chunk=3",
        "/status/200",
        "/echo",
    ] {
        let (mut conn, _) = open_events(&server, path, &[]).await;
        within("first bytes", conn.next_data()).await.unwrap();
        conns.push(conn);
    }
    let (mut post, head) = Conn::open(server.addr, "POST", "/echo", &[], b"hello").await;
    assert_eq!(head.status, 200);
    within("echo", post.next_data()).await.unwrap();
    conns.push(post);
    server.wait_open(6).await;
    // Nothing else is written on held-open streams.
    conns[1].expect_silence(Duration::from_millis(200)).await;
    drop(conns);
    server.wait_open(0).await;
    server.stop().await;
}

#[tokio::test]
async fn keep_alive_comments_on_idle_event_streams() {
    let server = TestServer::start(Config {
        keepalive_ms: 100,
        ..config()
    })
    .await;
    let (mut conn, _) = open_events(&server, "/events?channel=ka", &[]).await;
    let mut acc = Vec::new();
    within(
        "two keep-alives",
        conn.read_until(&mut acc, |b| {
            b.windows(14).filter(|w| *w == b": keep-alive\n\n").count() >= 2
        }),
    )
    .await;
    assert_eq!(acc, b"retry: 3000\n\n: keep-alive\n\n: keep-alive\n\n");
    server.stop().await;
}

#[tokio::test]
async fn demo_ticker_publishes_ticks_and_notices() {
    let server = TestServer::start(Config {
        tick_ms: 20,
        ..config()
    })
    .await;
    let (mut conn, _) = open_events(&server, "/events?lastEventId=0", &[]).await;
    let mut acc = Vec::new();
    let evs = read_events(&mut conn, &mut acc, 6).await;
    for (i, ev) in evs[..4].iter().enumerate() {
        assert_eq!(ev.event.as_deref(), Some("tick"));
        let v: Value = serde_json::from_str(&ev.data).unwrap();
        assert_eq!(v["n"], i as u64 + 1);
        assert!(v["time"].as_str().unwrap().parse::<u64>().unwrap() > 1_600_000_000_000);
    }
    assert_eq!(evs[4].event.as_deref(), Some("tick"));
    assert_eq!(evs[5].event.as_deref(), Some("notice"));
    // The connection count is whatever was open at the 5th tick (normally this stream).
    let count = evs[5]
        .data
        .strip_prefix("notice #1\nthe server is alive\nconnections: ")
        .unwrap_or_else(|| panic!("{:?}", evs[5].data));
    assert!(count.parse::<u64>().unwrap() <= 1);
    assert_eq!(ids(&evs), [1, 2, 3, 4, 5, 6]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_streams_promptly() {
    let server = TestServer::start(config()).await;
    let (mut events, _) = open_events(&server, "/events", &[]).await;
    let (mut fixture, _) = open_events(&server, "/fixture/basic?chunk=1&delay_ms=1000", &[]).await;
    let (mut status, _) = open_events(&server, "/status/200", &[]).await;
    server.wait_open(3).await;
    let started = std::time::Instant::now();
    server.stop().await;
    assert!(started.elapsed() < Duration::from_secs(3));
    for conn in [&mut events, &mut fixture, &mut status] {
        within("stream end", conn.read_to_end()).await;
    }
}
