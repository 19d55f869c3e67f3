//! Running the server and workers: the runtime, the listener, the worker threads, logs, and
//! a graceful shutdown (SIGINT or SIGTERM: no new requests, running imports stop after
//! their current batch and roll back, and go back to the queue for another worker).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::api::{Ctx, router};
use crate::jobs::{Wake, spawn_workers};
use crate::state::{App, Bootstrap, Config, ServerError, bootstrap};

/// Logs to stderr, one line per event, with the request's or import's span; the level from
/// `INTAKE_LOG` (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("INTAKE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

fn runtime() -> Result<tokio::runtime::Runtime, ServerError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("intake-http")
        .build()?)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Serves the API on `addr` with `workers` worker threads in the same process (0: none,
/// run `intake worker` beside it). `started` is told the address bound and what the first
/// start did, before the first request is taken.
pub fn serve(
    config: Config,
    addr: SocketAddr,
    workers: usize,
    started: impl FnOnce(SocketAddr, &Bootstrap),
) -> Result<(), ServerError> {
    let app = Arc::new(App::open(config)?);
    let boot = bootstrap(&app)?;
    let rt = runtime()?;
    let stop = Arc::new(AtomicBool::new(false));
    let wake = Arc::new(Wake::default());
    let result = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        started(bound, &boot);
        tracing::info!(%bound, workers, "serving");
        let handles = spawn_workers(&app, workers, &stop, &wake);
        let ctx = Ctx {
            app: app.clone(),
            wake: wake.clone(),
        };
        let served = axum::serve(listener, router(ctx))
            .with_graceful_shutdown(shutdown_signal())
            .await;
        tracing::info!("shutting down: running imports stop after their batch");
        stop.store(true, Ordering::SeqCst);
        wake.notify();
        let joined = tokio::task::spawn_blocking(move || {
            for h in handles {
                let _ = h.join();
            }
        })
        .await;
        served?;
        joined.map_err(|e| ServerError::Other(e.to_string()))?;
        Ok::<(), ServerError>(())
    });
    rt.shutdown_timeout(std::time::Duration::from_secs(5));
    result
}

/// Runs `n` workers without serving HTTP, until SIGINT or SIGTERM.
pub fn work(config: Config, n: usize) -> Result<(), ServerError> {
    let app = Arc::new(App::open(config)?);
    let rt = runtime()?;
    let stop = Arc::new(AtomicBool::new(false));
    let wake = Arc::new(Wake::default());
    let handles = spawn_workers(&app, n.max(1), &stop, &wake);
    rt.block_on(shutdown_signal());
    tracing::info!("shutting down: running imports stop after their batch");
    stop.store(true, Ordering::SeqCst);
    wake.notify();
    for h in handles {
        let _ = h.join();
    }
    Ok(())
}
