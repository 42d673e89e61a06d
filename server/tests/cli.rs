//! The real binary: listening line, argument errors, signal shutdown.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_sse-server");

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary and returns it with the address from its listening line.
fn spawn(args: &[&str]) -> (Proc, SocketAddr, mpsc::Receiver<String>) {
    spawn_with_fd_limit(None, args)
}

/// Like [`spawn`], with the open-file limit set to `fd_limit` (through `sh -c 'ulimit -n'`).
fn spawn_with_fd_limit(
    fd_limit: Option<u32>,
    args: &[&str],
) -> (Proc, SocketAddr, mpsc::Receiver<String>) {
    let mut command = match fd_limit {
        None => Command::new(BIN),
        Some(n) => {
            let mut c = Command::new("sh");
            c.args(["-c", &format!("ulimit -n {n} && exec \"$0\" \"$@\""), BIN]);
            c
        }
    };
    let mut child = command
        .args(args)
        .env_remove("PORT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let proc = Proc(child);
    let line = rx.recv_timeout(WAIT).expect("listening line");
    let port: u16 = line
        .strip_prefix("sse-server listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected line {line:?}"))
        .parse()
        .unwrap();
    assert_ne!(port, 0);
    (proc, SocketAddr::from(([127, 0, 0, 1], port)), rx)
}

fn wait_exit(proc: &mut Proc, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = proc.0.try_wait().unwrap() {
            return status;
        }
        assert!(
            started.elapsed() < limit,
            "process did not exit in {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(proc: &Proc, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &proc.0.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_serves_and_exits_on_sigterm_with_open_streams() {
    let (mut proc, addr, lines) = spawn(&["--port", "0", "--tick-ms", "0"]);
    let (head, body) = request(addr, "GET", "/stats", &[], b"").await;
    assert_eq!(head.status, 200);
    assert!(String::from_utf8_lossy(&body).contains("open_connections"));
    let (mut stream, head) = Conn::open(addr, "GET", "/events", &[], b"").await;
    assert_eq!(head.status, 200);
    within("prelude", stream.next_data()).await.unwrap();

    signal(&proc, "-TERM");
    let status = tokio::task::spawn_blocking(move || {
        let status = wait_exit(&mut proc, Duration::from_secs(4));
        (status, proc)
    })
    .await
    .unwrap()
    .0;
    assert!(status.success(), "{status:?}");
    // The stream was ended, and nothing else was printed.
    within("stream end", stream.read_to_end()).await;
    assert!(lines.try_recv().is_err());
}

#[test]
fn binary_exits_on_sigint() {
    let (mut proc, _addr, _) = spawn(&["--port=0"]);
    signal(&proc, "-INT");
    assert!(wait_exit(&mut proc, Duration::from_secs(4)).success());
}

#[test]
fn port_from_environment() {
    // Port 0 via PORT still yields a real port in the listening line.
    let mut child = Command::new(BIN)
        .env("PORT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut proc = Proc(child);
    let mut buf = [0u8; 128];
    let mut got = Vec::new();
    while !got.contains(&b'\n') {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8(got).unwrap();
    assert!(line.starts_with("sse-server listening on http://127.0.0.1:"));
    assert!(!line.trim_end().ends_with(":0"));
    signal(&proc, "-TERM");
    assert!(wait_exit(&mut proc, Duration::from_secs(4)).success());
}

#[test]
fn bad_arguments_exit_2_with_usage() {
    for args in [
        &["--bogus"][..],
        &["--port", "nope"],
        &["--tick-ms"],
        &["--mount", "relative=dir"],
        &["--mount", "/burst=dir"],
        &["--mount", "/admin/x=dir"],
        &["--replay-bytes", "lots"],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("Usage: sse-server"), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--max-connections"));
    assert!(help.contains("--replay-bytes N"), "{help}");
}

#[test]
fn a_missing_www_directory_fails_at_start() {
    let missing =
        std::env::temp_dir().join(format!("sse-server-no-such-dir-{}", std::process::id()));
    let missing = missing.display().to_string();
    for args in [
        vec!["--port", "0", "--www", &missing],
        vec!["--port", "0", "--pkg", &missing],
    ] {
        let child = Command::new(BIN)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut proc = Proc(child);
        let status = wait_exit(&mut proc, Duration::from_secs(4));
        assert_eq!(status.code(), Some(2), "{args:?}");
        let (mut out, mut err) = (String::new(), String::new());
        let child = &mut proc.0;
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(
            err.contains(&format!("directory {missing} does not exist")),
            "{err}"
        );
        assert!(err.contains(args[2]), "{err}");
        assert!(out.is_empty(), "it must not start listening: {out}");
    }
}

/// The open-file limit of the server process in the test below.
const FD_LIMIT: u32 = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_cannot_use_up_file_descriptors() {
    use tokio::io::AsyncWriteExt;
    // More half-sent requests than the server has file descriptors, with the default
    // --max-waiting (far above the limit) and a header timeout longer than the test.
    let (proc, addr, _lines) = tokio::task::spawn_blocking(|| {
        spawn_with_fd_limit(
            Some(FD_LIMIT),
            &[
                "--port",
                "0",
                "--tick-ms",
                "0",
                "--header-timeout-ms",
                "30000",
            ],
        )
    })
    .await
    .unwrap();
    let mut held = Vec::new();
    for _ in 0..2 * FD_LIMIT {
        let mut s = within("connect", tokio::net::TcpStream::connect(addr))
            .await
            .unwrap();
        let head = format!("GET /stats HTTP/1.1\r\nHost: {addr}\r\nX-Never-Ends: ");
        s.write_all(head.as_bytes()).await.unwrap();
        held.push(s);
    }
    // A normal client is still served, well before any header timeout.
    let started = Instant::now();
    let served = tokio::time::timeout(
        Duration::from_secs(5),
        request(addr, "GET", "/stats", &[], b""),
    )
    .await;
    let (head, body) = served.expect("a normal client was locked out");
    assert_eq!(head.status, 200);
    let stats: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        stats["tcp_connections"].as_u64().unwrap() < u64::from(FD_LIMIT),
        "{stats}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(held);
    drop(proc);
}
