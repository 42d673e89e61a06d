//! Server configuration and command-line parsing (hand-rolled, no clap).

use std::path::{Path, PathBuf};

/// Default TCP port when neither `--port` nor `PORT` is given.
pub const DEFAULT_PORT: u16 = 8787;

/// Largest accepted value for the millisecond flags (one day).
const MAX_MS: u64 = 86_400_000;

/// Largest accepted `--replay-bytes` (16 GiB).
const MAX_REPLAY_BYTES: u64 = 16 << 30;

/// Default of `--replay-bytes`: what all replay buffers together may hold.
pub const DEFAULT_REPLAY_BYTES: usize = 64 << 20;

/// Default of `--header-timeout-ms`.
pub const DEFAULT_HEADER_TIMEOUT_MS: u64 = 10_000;

/// Default of `--max-waiting`.
pub const DEFAULT_MAX_WAITING: usize = 512;

/// Default of `--chat-replies`.
pub const DEFAULT_CHAT_REPLIES: usize = 64;

/// Default of `--chat-tokens`.
pub const DEFAULT_CHAT_TOKENS: u64 = 10_000;

/// Default of `--chat-ttl-ms` (five minutes).
pub const DEFAULT_CHAT_TTL_MS: u64 = 300_000;

/// Everything the server needs to run. `Config::default()` matches the CLI defaults
/// (except that tests usually want `tick_ms: 0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Port to bind on 127.0.0.1 (0 = ephemeral).
    pub port: u16,
    /// Directory served at `/` (`/` itself serves `index.html`).
    pub www: PathBuf,
    /// Directory served at `/pkg`.
    pub pkg: PathBuf,
    /// Extra `(prefix, dir)` static mounts; prefix starts with `/` and has no trailing `/`.
    pub mounts: Vec<(String, PathBuf)>,
    /// Enables CORS for `cors_origins`.
    pub test_mode: bool,
    /// Exact origins that get CORS headers (only with `test_mode`).
    pub cors_origins: Vec<String>,
    /// Period of the `demo` channel ticker in ms (0 disables it).
    pub tick_ms: u64,
    /// Idle time in ms after which `/events` streams get a `: keep-alive` comment (0 disables).
    pub keepalive_ms: u64,
    /// Maximum number of simultaneously open streaming responses.
    pub max_connections: usize,
    /// Time in ms a connection may take to send a complete request head, counted from when it
    /// opens or its previous response ends (0 disables; see [`crate::accept`]).
    pub header_timeout_ms: u64,
    /// Maximum number of connections waiting for a request head (just opened, half-sent, or
    /// idle between requests); beyond it the longest-waiting one is closed.
    pub max_waiting: usize,
    /// Maximum request body size for `/publish` (and the echoed body of `/echo`).
    pub max_body_bytes: usize,
    /// Number of events kept per channel for replay.
    pub replay: usize,
    /// Bytes all channels' replay buffers may hold together; the oldest events are evicted
    /// first (see [`crate::hub`]).
    pub replay_bytes: usize,
    /// Replies of `POST /chat` kept for resuming (see [`crate::chat::store`]).
    pub chat_replies: usize,
    /// Largest `tokens` of a `POST /chat` request.
    pub chat_tokens: u64,
    /// How long a finished reply is kept for resuming, in ms.
    pub chat_ttl_ms: u64,
    /// Maximum number of pub/sub channels (not a CLI flag).
    pub max_channels: usize,
    /// Capacity of each channel's broadcast queue (not a CLI flag). Slow subscribers that fall
    /// further behind than this recover from the replay buffer.
    pub broadcast_capacity: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: DEFAULT_PORT,
            www: PathBuf::from("www"),
            pkg: PathBuf::from("pkg/web"),
            mounts: Vec::new(),
            test_mode: false,
            cors_origins: Vec::new(),
            tick_ms: 2000,
            keepalive_ms: 15000,
            max_connections: 1000,
            header_timeout_ms: DEFAULT_HEADER_TIMEOUT_MS,
            max_waiting: DEFAULT_MAX_WAITING,
            max_body_bytes: 65536,
            replay: 1000,
            replay_bytes: DEFAULT_REPLAY_BYTES,
            chat_replies: DEFAULT_CHAT_REPLIES,
            chat_tokens: DEFAULT_CHAT_TOKENS,
            chat_ttl_ms: DEFAULT_CHAT_TTL_MS,
            max_channels: 1000,
            broadcast_capacity: 256,
        }
    }
}

/// Result of parsing the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the server with this configuration (boxed: it is much larger than `Help`).
    Run(Box<Config>),
    /// `--help` / `-h` was given.
    Help,
}

/// Usage text printed for `--help` and (on stderr) for bad arguments.
pub const USAGE: &str = "\
Usage: sse-server [OPTIONS]

Companion SSE server for eventsource-wasm (binds 127.0.0.1 only).

Options:
  --port N               port to listen on (default: $PORT, else 8787; 0 = ephemeral)
  --www DIR              static files served at / (default: www; a DIR given here must exist)
  --pkg DIR              static files served at /pkg (default: pkg/web; a DIR given here must
                         exist)
  --mount PREFIX=DIR     also serve DIR (which must exist) under PREFIX, e.g. /app=tests/app
                         (repeatable; a PREFIX starting with an API route segment such as
                         /events is refused)
  --test-mode            enable CORS for the --cors-origin origins and the fault injection
                         used by the tests: POST /admin/outage, POST /burst and
                         GET /events?chaos=SEED (without it those answer 404, 404, 400)
  --cors-origin ORIGIN   origin allowed by CORS in test mode, e.g. http://127.0.0.1:9000
                         (repeatable); in test mode it may also POST (/publish, /admin/*, ...)
  --tick-ms N            demo channel tick period in ms, 0 disables (default: 2000)
  --keepalive-ms N       keep-alive comment after N idle ms on /events, 0 disables (default: 15000)
  --max-connections N    maximum open streaming responses (default: 1000)
  --header-timeout-ms N  close a connection that has not sent a complete request head N ms
                         after it opened or its last response ended, 0 disables (default: 10000)
  --max-waiting N        maximum connections waiting for a request head (new, half-sent or idle
                         between requests); one more closes the longest-waiting (default: 512)
  --max-body-bytes N     maximum /publish body size (default: 65536)
  --replay N             events kept per channel for Last-Event-ID replay (default: 1000)
  --replay-bytes N       bytes all channels' replay buffers may hold together, each event
                         counted as its wire size + 64; the oldest events of any channel are
                         evicted first (default: 67108864 = 64 MiB)
  --chat-replies N       POST /chat replies kept for resuming by GET /chat/{reply}; a new one
                         evicts the one finished longest ago, and is refused (503) while all N
                         are still being generated (default: 64)
  --chat-tokens N        largest \"tokens\" of a POST /chat request, so a reply buffers at most
                         N + 1 events of at most 120 bytes each (default: 10000)
  --chat-ttl-ms N        how long a finished reply stays resumable, in ms (default: 300000)
  -h, --help             print this help

Requests must name this server in Host (127.0.0.1, localhost or [::1] with its port; others get
421), and a POST whose Origin is present must come from this server's own origin or, in test
mode, a --cors-origin origin (others get 403). POST /publish and POST /chat take Content-Type:
application/json.

POST /chat {\"prompt\": S, \"tokens\": N, \"interval_ms\": M} (defaults: a fixed prompt, 100, 50;
M at most 10000, (N - 1) x M at most 600000) streams N `token` events and a `done` event with
ids REPLY:1 .. REPLY:N+1, generated by the server whether or not the client stays; its Location
header names GET /chat/REPLY, which replays the events after Last-Event-ID (or ?lastEventId=)
and follows the rest live. GET /chat/REPLY/stats counts its POSTs and resumes. Both take
?retry=MS and, in test mode, ?cut_after=K (the connection is dropped after K events).
";

/// Parses the arguments (without the program name). `env_port` is the value of `PORT`, if set.
pub fn parse_args<I>(args: I, env_port: Option<&str>) -> Result<Command, String>
where
    I: IntoIterator<Item = String>,
{
    let mut cfg = Config::default();
    let mut port_flag: Option<u16> = None;
    // Directories named on the command line: checked once all arguments parsed.
    let mut given_dirs: Vec<(&'static str, PathBuf)> = Vec::new();
    let mut args = args.into_iter();

    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let takes_value = !matches!(flag.as_str(), "--test-mode" | "--help" | "-h");
        if !takes_value {
            if inline.is_some() {
                return Err(format!("flag {flag} does not take a value"));
            }
            match flag.as_str() {
                "--test-mode" => cfg.test_mode = true,
                _ => return Ok(Command::Help),
            }
            continue;
        }
        let known = matches!(
            flag.as_str(),
            "--port"
                | "--www"
                | "--pkg"
                | "--mount"
                | "--cors-origin"
                | "--tick-ms"
                | "--keepalive-ms"
                | "--max-connections"
                | "--header-timeout-ms"
                | "--max-waiting"
                | "--max-body-bytes"
                | "--replay"
                | "--replay-bytes"
                | "--chat-replies"
                | "--chat-tokens"
                | "--chat-ttl-ms"
        );
        if !known {
            return Err(format!("unknown argument: {arg}"));
        }
        let value = match inline {
            Some(v) => v,
            None => args
                .next()
                .ok_or_else(|| format!("flag {flag} needs a value"))?,
        };
        match flag.as_str() {
            "--port" => port_flag = Some(parse_port(&value, "--port")?),
            "--www" => {
                cfg.www = parse_dir(&value, "--www")?;
                given_dirs.push(("--www", cfg.www.clone()));
            }
            "--pkg" => {
                cfg.pkg = parse_dir(&value, "--pkg")?;
                given_dirs.push(("--pkg", cfg.pkg.clone()));
            }
            "--mount" => {
                let mount = parse_mount(&value)?;
                if cfg.mounts.iter().any(|(p, _)| *p == mount.0) {
                    return Err(format!("--mount: prefix {} given twice", mount.0));
                }
                given_dirs.push(("--mount", mount.1.clone()));
                cfg.mounts.push(mount);
            }
            "--cors-origin" => cfg.cors_origins.push(parse_origin(&value)?),
            "--tick-ms" => cfg.tick_ms = parse_num(&value, "--tick-ms", MAX_MS)?,
            "--keepalive-ms" => cfg.keepalive_ms = parse_num(&value, "--keepalive-ms", MAX_MS)?,
            "--max-connections" => {
                cfg.max_connections = parse_num(&value, "--max-connections", 1_000_000)? as usize
            }
            "--header-timeout-ms" => {
                cfg.header_timeout_ms = parse_num(&value, "--header-timeout-ms", MAX_MS)?
            }
            "--max-waiting" => {
                cfg.max_waiting = parse_num(&value, "--max-waiting", 1_000_000)? as usize;
                if cfg.max_waiting == 0 {
                    return Err("--max-waiting: must be at least 1".to_string());
                }
            }
            "--max-body-bytes" => {
                cfg.max_body_bytes = parse_num(&value, "--max-body-bytes", 64 << 20)? as usize
            }
            "--replay" => cfg.replay = parse_num(&value, "--replay", 1_000_000)? as usize,
            "--replay-bytes" => {
                let n = parse_num(&value, "--replay-bytes", MAX_REPLAY_BYTES)?;
                cfg.replay_bytes = usize::try_from(n).unwrap_or(usize::MAX);
            }
            "--chat-replies" => {
                cfg.chat_replies = parse_num(&value, "--chat-replies", 100_000)? as usize;
                if cfg.chat_replies == 0 {
                    return Err("--chat-replies: must be at least 1".to_string());
                }
            }
            "--chat-tokens" => {
                cfg.chat_tokens = parse_num(&value, "--chat-tokens", 1_000_000)?;
                if cfg.chat_tokens == 0 {
                    return Err("--chat-tokens: must be at least 1".to_string());
                }
            }
            "--chat-ttl-ms" => cfg.chat_ttl_ms = parse_num(&value, "--chat-ttl-ms", MAX_MS)?,
            _ => unreachable!("flag list checked above"),
        }
    }

    for (flag, dir) in &given_dirs {
        check_dir(flag, dir)?;
    }
    cfg.port = match (port_flag, env_port) {
        (Some(p), _) => p,
        (None, Some(env)) => parse_port(env, "PORT (environment)")?,
        (None, None) => DEFAULT_PORT,
    };
    Ok(Command::Run(Box::new(cfg)))
}

fn parse_port(value: &str, what: &str) -> Result<u16, String> {
    value
        .trim()
        .parse::<u16>()
        .map_err(|_| format!("{what}: expected a port number 0..=65535, got {value:?}"))
}

fn parse_num(value: &str, what: &str, max: u64) -> Result<u64, String> {
    match value.trim().parse::<u64>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(format!(
            "{what}: expected a whole number 0..={max}, got {value:?}"
        )),
    }
}

fn parse_dir(value: &str, what: &str) -> Result<PathBuf, String> {
    if value.is_empty() {
        return Err(format!("{what}: directory must not be empty"));
    }
    Ok(PathBuf::from(value))
}

/// Fails unless `dir` is an existing directory (so a mistyped path is reported at start, not
/// as 404s later).
fn check_dir(flag: &str, dir: &Path) -> Result<(), String> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(format!("{flag}: {} is not a directory", dir.display())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "{flag}: directory {} does not exist",
            dir.display()
        )),
        Err(err) => Err(format!(
            "{flag}: cannot use directory {}: {err}",
            dir.display()
        )),
    }
}

fn parse_origin(value: &str) -> Result<String, String> {
    let ok = !value.is_empty() && value.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if ok {
        Ok(value.to_string())
    } else {
        Err(format!(
            "--cors-origin: expected an origin like http://127.0.0.1:9000, got {value:?}"
        ))
    }
}

fn parse_mount(value: &str) -> Result<(String, PathBuf), String> {
    let (prefix, dir) = value
        .split_once('=')
        .ok_or_else(|| format!("--mount: expected PREFIX=DIR, got {value:?}"))?;
    let prefix = prefix.trim_end_matches('/');
    if !prefix.starts_with('/') {
        return Err(format!(
            "--mount: prefix must start with '/' and not be '/', got {prefix:?}"
        ));
    }
    let bad_char = |c: char| c.is_control() || c.is_whitespace() || "?#%{}*".contains(c);
    if prefix.chars().any(bad_char) || prefix.contains("//") {
        return Err(format!(
            "--mount: prefix {prefix:?} contains characters that are not allowed"
        ));
    }
    if prefix.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(format!(
            "--mount: prefix {prefix:?} must not contain . or .."
        ));
    }
    let first = prefix[1..].split('/').next().unwrap_or("");
    if crate::routes::is_api_segment(first) {
        return Err(format!(
            "--mount: prefix {prefix:?} would shadow the API route /{first}"
        ));
    }
    if dir.is_empty() {
        return Err("--mount: directory must not be empty".to_string());
    }
    Ok((prefix.to_string(), PathBuf::from(dir)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|s| s.to_string()), None)
    }

    fn run(args: &[&str]) -> Config {
        match parse(args) {
            Ok(Command::Run(c)) => *c,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let c = run(&[]);
        assert_eq!(c, Config::default());
        assert_eq!(c.port, 8787);
        assert_eq!(c.tick_ms, 2000);
        assert_eq!(c.keepalive_ms, 15000);
        assert_eq!(c.max_connections, 1000);
        assert_eq!(c.max_body_bytes, 65536);
        assert_eq!(c.replay, 1000);
        assert_eq!(c.replay_bytes, 64 << 20);
        assert_eq!((c.header_timeout_ms, c.max_waiting), (10_000, 512));
        assert_eq!(
            (c.chat_replies, c.chat_tokens, c.chat_ttl_ms),
            (64, 10_000, 300_000)
        );
    }

    /// A fresh scratch directory holding the directories `names` (and a file `file`).
    fn scratch(test: &str, names: &[&str]) -> PathBuf {
        let base =
            std::env::temp_dir().join(format!("sse-server-config-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        for name in names {
            std::fs::create_dir_all(base.join(name)).unwrap();
        }
        std::fs::write(base.join("file"), b"").unwrap();
        base
    }

    #[test]
    fn all_flags() {
        let base = scratch("all-flags", &["site", "out", "app", "dir=x"]);
        let dir = |name: &str| base.join(name).display().to_string();
        let c = run(&[
            "--port",
            "0",
            "--www",
            &dir("site"),
            &format!("--pkg={}", dir("out")),
            "--mount",
            &format!("/app/={}", dir("app")),
            "--mount",
            &format!("/b={}", dir("dir=x")),
            "--test-mode",
            "--cors-origin",
            "http://127.0.0.1:9000",
            "--tick-ms",
            "0",
            "--keepalive-ms",
            "50",
            "--max-connections",
            "3",
            "--header-timeout-ms",
            "250",
            "--max-waiting=7",
            "--max-body-bytes",
            "10",
            "--replay",
            "5",
            "--replay-bytes=4096",
            "--chat-replies",
            "3",
            "--chat-tokens=500",
            "--chat-ttl-ms",
            "0",
        ]);
        assert_eq!(c.port, 0);
        assert_eq!(c.www, base.join("site"));
        assert_eq!(c.pkg, base.join("out"));
        assert_eq!(
            c.mounts,
            vec![
                ("/app".to_string(), base.join("app")),
                ("/b".to_string(), base.join("dir=x"))
            ]
        );
        assert!(c.test_mode);
        assert_eq!(c.cors_origins, vec!["http://127.0.0.1:9000".to_string()]);
        assert_eq!((c.tick_ms, c.keepalive_ms, c.max_connections), (0, 50, 3));
        assert_eq!((c.header_timeout_ms, c.max_waiting), (250, 7));
        assert_eq!((c.max_body_bytes, c.replay, c.replay_bytes), (10, 5, 4096));
        assert_eq!((c.chat_replies, c.chat_tokens, c.chat_ttl_ms), (3, 500, 0));
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn directories_given_must_exist() {
        let base = scratch("dirs", &["site"]);
        let missing = base.join("missing").display().to_string();
        let file = base.join("file").display().to_string();
        let site = base.join("site").display().to_string();
        for (flag, args) in [
            ("--www", vec!["--www".to_string(), missing.clone()]),
            ("--pkg", vec![format!("--pkg={missing}")]),
            (
                "--mount",
                vec!["--mount".to_string(), format!("/m={missing}")],
            ),
        ] {
            let err = parse_args(args, None).unwrap_err();
            assert!(err.starts_with(flag), "{err}");
            assert!(
                err.contains(&missing) && err.contains("does not exist"),
                "{err}"
            );
        }
        let err = parse(&["--www", &file]).unwrap_err();
        assert!(err.contains("is not a directory"), "{err}");
        // Syntax errors come first; an existing directory is fine; the defaults are not
        // checked (the binary may run where they do not exist yet).
        assert!(parse(&["--www", &missing, "--bogus"])
            .unwrap_err()
            .contains("--bogus"));
        assert!(matches!(parse(&["--www", &site]), Ok(Command::Run(_))));
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn port_precedence() {
        let from_env = parse_args(Vec::<String>::new(), Some("1234")).unwrap();
        assert!(matches!(from_env, Command::Run(c) if c.port == 1234));
        let flag_wins = parse_args(vec!["--port".into(), "99".into()], Some("1234")).unwrap();
        assert!(matches!(flag_wins, Command::Run(c) if c.port == 99));
        assert!(parse_args(Vec::<String>::new(), Some("nope")).is_err());
    }

    #[test]
    fn errors() {
        for bad in [
            &["--bogus"][..],
            &["--port"],
            &["--port", "70000"],
            &["--port", "-1"],
            &["--tick-ms", "abc"],
            &["--mount", "nodir"],
            &["--mount", "app=dir"],
            &["--mount", "/=dir"],
            &["--mount", "/events=dir"],
            &["--mount", "/a/../b=dir"],
            &["--mount", "/a=x", "--mount", "/a/=y"],
            &["--test-mode=1"],
            &["--replay-bytes", "-1"],
            &["--replay-bytes", "99999999999999999"],
            &["--cors-origin", ""],
            &["--max-waiting", "0"],
            &["--header-timeout-ms", "x"],
            &["--chat-replies", "0"],
            &["--chat-tokens", "0"],
            &["--chat-tokens", "1000001"],
            &["--chat-ttl-ms", "-5"],
            &["positional"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should fail");
        }
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert_eq!(parse(&["-h"]), Ok(Command::Help));
        assert!(USAGE.contains("--replay-bytes N"));
        assert!(USAGE.contains("--header-timeout-ms N"));
        assert!(USAGE.contains("--chat-ttl-ms N"));
    }

    #[test]
    fn mounts_may_not_shadow_any_api_route() {
        let paths = crate::routes::api_paths();
        for route in [
            "/chat",
            "/chat/{reply}",
            "/admin/outage",
            "/burst",
            "/fixtures",
            "/events",
            "/set-cookie",
        ] {
            assert!(paths.contains(&route), "{route} is an API route");
        }
        for path in paths {
            let prefix = path.split("/{").next().unwrap_or(path);
            let err = parse(&["--mount", &format!("{prefix}=dir")]).unwrap_err();
            assert!(
                err.contains("would shadow the API route"),
                "{prefix}: {err}"
            );
            let first = prefix
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("");
            let nested = format!("/{first}/deeper=dir");
            assert!(parse(&["--mount", &nested]).is_err(), "{nested}");
        }
        // Near misses are fine (`src` exists: unit tests run in the crate's directory).
        for ok in ["/bursts=src", "/admins/x=src", "/app=src", "/pkg2=src"] {
            assert!(parse(&["--mount", ok]).is_ok(), "{ok}");
        }
    }
}
