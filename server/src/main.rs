//! `sse-server` binary: parses the command line and runs [`sse_server::serve`].

use std::io::Write;
use std::process::ExitCode;

use sse_server::config::{parse_args, Command, USAGE};
use sse_server::{bind_addr, serve, AppState};

/// Installs the SIGINT/SIGTERM handlers now (before the listening line is printed, so a
/// signal sent right after it is not lost) and returns a future resolving on either.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

fn main() -> ExitCode {
    let env_port = std::env::var("PORT").ok();
    let config = match parse_args(std::env::args().skip(1), env_port.as_deref()) {
        Ok(Command::Run(config)) => *config,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("sse-server: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if !config.test_mode && !config.cors_origins.is_empty() {
        eprintln!("sse-server: warning: --cors-origin has no effect without --test-mode");
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("sse-server: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let addr = bind_addr(&config);
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(err) => {
                eprintln!("sse-server: cannot listen on {addr}: {err}");
                return ExitCode::FAILURE;
            }
        };
        let signal = match shutdown_signal() {
            Ok(s) => s,
            Err(err) => {
                eprintln!("sse-server: cannot install signal handlers: {err}");
                return ExitCode::FAILURE;
            }
        };
        let port = listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or(config.port);
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "sse-server listening on http://127.0.0.1:{port}");
        let _ = stdout.flush();
        drop(stdout);
        match serve(AppState::new(config), listener, signal).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("sse-server: {err}");
                ExitCode::FAILURE
            }
        }
    })
}
