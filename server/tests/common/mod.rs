//! Test harness: in-process server on an ephemeral port and a tiny raw HTTP/1.1 client.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sse_server::{serve, AppState, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Upper bound for any single wait in the tests.
pub const WAIT: Duration = Duration::from_secs(10);

/// Awaits `fut`, failing the test after [`WAIT`].
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}

/// A test configuration: no ticker, defaults otherwise.
pub fn config() -> Config {
    Config {
        port: 0,
        tick_ms: 0,
        ..Config::default()
    }
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub async fn start(config: Config) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::new(config);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(state.clone(), listener, async move {
            let _ = rx.await;
        }));
        TestServer {
            addr,
            state,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Triggers shutdown and waits for `serve` to return.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            within("server shutdown", task).await.unwrap().unwrap();
        }
    }

    pub async fn get(&self, path: &str) -> (Head, Vec<u8>) {
        request(self.addr, "GET", path, &[], b"").await
    }

    pub async fn stats(&self) -> Value {
        let (head, body) = self.get("/stats").await;
        assert_eq!(head.status, 200);
        serde_json::from_slice(&body).unwrap()
    }

    /// Polls `/stats` until `open_connections == n`.
    pub async fn wait_open(&self, n: u64) {
        within(&format!("open_connections == {n}"), async {
            loop {
                if self.stats().await["open_connections"] == n {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
    }

    /// POSTs JSON to /publish and returns the status and body.
    pub async fn publish(&self, json: &str) -> (Head, Vec<u8>) {
        request(
            self.addr,
            "POST",
            "/publish",
            &[("Content-Type", "application/json")],
            json.as_bytes(),
        )
        .await
    }

    /// Publishes and returns the assigned id.
    pub async fn publish_ok(&self, json: &str) -> u64 {
        let (head, body) = self.publish(json).await;
        assert_eq!(head.status, 200, "{}", String::from_utf8_lossy(&body));
        let v: Value = serde_json::from_slice(&body).unwrap();
        v["id"].as_u64().unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

#[derive(Debug)]
pub struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.header(name).is_some()
    }
}

enum Framing {
    Chunked,
    Length(usize),
    Close,
    Empty,
}

/// One HTTP/1.1 request on its own connection, with the response read incrementally.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    framing: Framing,
    done: bool,
}

impl Conn {
    /// Sends the request and reads the response head.
    pub async fn open(
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (Conn, Head) {
        let mut stream = within("connect", TcpStream::connect(addr)).await.unwrap();
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        within("write request", stream.write_all(&bytes))
            .await
            .unwrap();
        Conn::read_response(stream, method).await
    }

    /// Sends raw bytes (which must form a request) and reads the response head.
    pub async fn raw(addr: SocketAddr, request: &[u8]) -> (Conn, Head) {
        let mut stream = within("connect", TcpStream::connect(addr)).await.unwrap();
        within("write request", stream.write_all(request))
            .await
            .unwrap();
        Conn::read_response(stream, "GET").await
    }

    async fn read_response(stream: TcpStream, method: &str) -> (Conn, Head) {
        let mut conn = Conn {
            stream,
            buf: Vec::new(),
            framing: Framing::Close,
            done: false,
        };
        let end = loop {
            if let Some(i) = find(&conn.buf, b"\r\n\r\n") {
                break i;
            }
            assert!(conn.fill().await > 0, "connection closed before the head");
        };
        let head_text = String::from_utf8(conn.buf[..end].to_vec()).unwrap();
        conn.buf.drain(..end + 4);
        let mut lines = head_text.split("\r\n");
        let status_line = lines.next().unwrap();
        let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.trim().to_ascii_lowercase(), v.trim().to_string())
            })
            .collect();
        let head = Head { status, headers };
        conn.framing = if method == "HEAD" || status == 204 || status == 304 || status < 200 {
            Framing::Empty
        } else if head
            .header("transfer-encoding")
            .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
        {
            Framing::Chunked
        } else if let Some(len) = head.header("content-length") {
            Framing::Length(len.parse().unwrap())
        } else {
            Framing::Close
        };
        (conn, head)
    }

    /// Reads more bytes into the buffer; returns how many (0 = EOF).
    async fn fill(&mut self) -> usize {
        let mut tmp = [0u8; 16384];
        let n = within("read", self.stream.read(&mut tmp))
            .await
            .unwrap_or(0);
        self.buf.extend_from_slice(&tmp[..n]);
        n
    }

    /// The next piece of body data: one HTTP chunk for chunked bodies, everything for
    /// content-length bodies. `None` at the end of the body.
    pub async fn next_data(&mut self) -> Option<Vec<u8>> {
        if self.done {
            return None;
        }
        match self.framing {
            Framing::Empty => {
                self.done = true;
                None
            }
            Framing::Length(len) => {
                while self.buf.len() < len {
                    assert!(self.fill().await > 0, "connection closed mid-body");
                }
                self.done = true;
                Some(self.buf.drain(..len).collect())
            }
            Framing::Close => {
                if self.buf.is_empty() && self.fill().await == 0 {
                    self.done = true;
                    return None;
                }
                Some(std::mem::take(&mut self.buf))
            }
            Framing::Chunked => {
                let line_end = loop {
                    if let Some(i) = find(&self.buf, b"\r\n") {
                        break i;
                    }
                    if self.fill().await == 0 {
                        self.done = true;
                        return None;
                    }
                };
                let size_text = std::str::from_utf8(&self.buf[..line_end]).unwrap();
                let size =
                    usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
                while self.buf.len() < line_end + 2 + size + 2 {
                    assert!(self.fill().await > 0, "connection closed mid-chunk");
                }
                let data = self.buf[line_end + 2..line_end + 2 + size].to_vec();
                self.buf.drain(..line_end + 2 + size + 2);
                if size == 0 {
                    self.done = true;
                    return None;
                }
                Some(data)
            }
        }
    }

    /// Reads until the end of the body.
    pub async fn read_to_end(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(d) = self.next_data().await {
            out.extend_from_slice(&d);
        }
        out
    }

    /// Reads body data until `pred(all data so far)` holds; panics if the body ends first.
    pub async fn read_until(&mut self, acc: &mut Vec<u8>, pred: impl Fn(&[u8]) -> bool) {
        while !pred(acc) {
            match self.next_data().await {
                Some(d) => acc.extend_from_slice(&d),
                None => panic!(
                    "body ended before the condition held; got {:?}",
                    String::from_utf8_lossy(acc)
                ),
            }
        }
    }

    /// Everything left on the connection, raw (still chunk-encoded): the unparsed buffer,
    /// then all bytes until the server closes the connection (EOF or a reset).
    pub async fn raw_rest(&mut self) -> Vec<u8> {
        self.raw_until(|_| false).await.0
    }

    /// Like [`Conn::raw_rest`], but stops early once `enough(raw bytes so far)` holds. Returns
    /// the bytes and whether the server closed the connection.
    pub async fn raw_until(&mut self, enough: impl Fn(&[u8]) -> bool) -> (Vec<u8>, bool) {
        let mut out = std::mem::take(&mut self.buf);
        let mut tmp = [0u8; 16384];
        while !enough(&out) {
            match within("raw read", self.stream.read(&mut tmp)).await {
                Ok(0) | Err(_) => {
                    self.done = true;
                    return (out, true);
                }
                Ok(n) => out.extend_from_slice(&tmp[..n]),
            }
        }
        (out, false)
    }

    /// Asserts that no body data arrives within `quiet` and the connection stays open.
    pub async fn expect_silence(&mut self, quiet: Duration) {
        let mut tmp = [0u8; 1024];
        match tokio::time::timeout(quiet, self.stream.read(&mut tmp)).await {
            Err(_) => {}
            Ok(Ok(0)) => panic!("connection closed, expected it to stay open"),
            Ok(Ok(n)) => panic!("unexpected data: {:?}", String::from_utf8_lossy(&tmp[..n])),
            Ok(Err(e)) => panic!("read error: {e}"),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A complete request/response on a fresh connection.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (Head, Vec<u8>) {
    let mut h: Vec<(&str, &str)> = headers.to_vec();
    h.push(("Connection", "close"));
    let (mut conn, head) = Conn::open(addr, method, path, &h, body).await;
    let body = within("response body", conn.read_to_end()).await;
    (head, body)
}

/// Decodes a raw chunked body (as from [`Conn::raw_rest`]): the data, and whether the body
/// was properly ended by the terminating `0\r\n\r\n` chunk (false: the connection was
/// dropped). Panics on anything that is not a prefix of valid chunked encoding.
pub fn dechunk(raw: &[u8]) -> (Vec<u8>, bool) {
    let mut data = Vec::new();
    let mut rest = raw;
    loop {
        let Some(line_end) = find(rest, b"\r\n") else {
            assert!(
                rest.len() < 20,
                "bad chunk header {:?}",
                String::from_utf8_lossy(rest)
            );
            return (data, false);
        };
        let size_text = std::str::from_utf8(&rest[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.trim(), 16).unwrap();
        let chunk = &rest[line_end + 2..];
        if size == 0 {
            return (data, chunk.starts_with(b"\r\n"));
        }
        if chunk.len() < size + 2 {
            data.extend_from_slice(&chunk[..size.min(chunk.len())]);
            return (data, false);
        }
        assert_eq!(&chunk[size..size + 2], b"\r\n", "chunk trailer");
        data.extend_from_slice(&chunk[..size]);
        rest = &chunk[size + 2..];
    }
}

/// A parsed SSE event (only the fields the tests need).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ev {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

/// Splits `\n`-terminated SSE text into complete blocks and parses the ones with fields
/// other than comments and `retry`.
pub fn parse_events(text: &[u8]) -> Vec<Ev> {
    let text = String::from_utf8_lossy(text);
    let mut out = Vec::new();
    let complete = match text.rfind("\n\n") {
        Some(i) => &text[..i + 2],
        None => return out,
    };
    for block in complete.split("\n\n") {
        let mut ev = Ev {
            id: None,
            event: None,
            data: String::new(),
        };
        let mut has_data = false;
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("id: ") {
                ev.id = Some(v.to_string());
            } else if let Some(v) = line.strip_prefix("event: ") {
                ev.event = Some(v.to_string());
            } else if let Some(v) = line.strip_prefix("data: ") {
                if has_data {
                    ev.data.push('\n');
                }
                ev.data.push_str(v);
                has_data = true;
            }
        }
        if has_data {
            out.push(ev);
        }
    }
    out
}

/// The numeric ids of `events`.
pub fn ids(events: &[Ev]) -> Vec<u64> {
    events
        .iter()
        .map(|e| e.id.as_deref().unwrap().parse().unwrap())
        .collect()
}

/// Number of complete events in `text`.
pub fn count_events(text: &[u8]) -> usize {
    parse_events(text).len()
}
