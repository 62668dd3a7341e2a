//! Serving an axum router on a listener: bounded connections, slow clients dropped, bounded graceful
//! shutdown, one log line per request; and the command-line flags and start-up lines that go with
//! it. The fake DingTalk serves through this module too.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use base64::Engine as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

/// How a server treats its connections: slow clients are dropped after a bound, their number is
/// capped, and shutdown is bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServeOptions {
    /// A connection that has not sent a whole request head within this time (counting from the
    /// connection, or from the previous response) is closed. Default 10 s.
    pub header_read_timeout: Duration,
    /// At most this many open connections; further ones wait in the listen backlog. Default 4096
    /// (keep it below the process's file-descriptor limit).
    pub max_connections: usize,
    /// Graceful shutdown: in-flight requests get this long to finish, then every connection still
    /// open (stalled clients included) is dropped. Default 10 s.
    pub shutdown_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 4096,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// A server running on a tokio task. Dropping it without [`RunningServer::shutdown`] aborts it.
pub struct RunningServer {
    addr: SocketAddr,
    open: Arc<Semaphore>,
    max_connections: usize,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl RunningServer {
    /// Serves `router` on `listener` with [`ServeOptions::default`] until [`RunningServer::shutdown`].
    pub async fn start(router: Router, listener: TcpListener) -> io::Result<Self> {
        Self::start_with(
            router,
            listener,
            std::future::pending(),
            ServeOptions::default(),
        )
        .await
    }

    /// As [`RunningServer::start`], also stopping gracefully when `signal` completes (e.g. Ctrl-C).
    pub async fn start_with_signal(
        router: Router,
        listener: TcpListener,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> io::Result<Self> {
        Self::start_with(router, listener, signal, ServeOptions::default()).await
    }

    /// Serves `router` on `listener` with `options`, stopping gracefully (within
    /// [`ServeOptions::shutdown_timeout`]) on [`RunningServer::shutdown`] or when `signal` completes.
    pub async fn start_with(
        router: Router,
        listener: TcpListener,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
        options: ServeOptions,
    ) -> io::Result<Self> {
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let max_connections = options.max_connections.max(1);
        let open = Arc::new(Semaphore::new(max_connections));
        let stop = async move {
            tokio::select! {
                _ = rx => {}
                _ = signal => {}
            }
        };
        let task = tokio::spawn(serve_loop(router, listener, stop, options, open.clone()));
        Ok(RunningServer {
            addr,
            open,
            max_connections,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ip:port`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections open right now (at most [`ServeOptions::max_connections`]).
    pub fn open_connections(&self) -> usize {
        self.max_connections - self.open.available_permits()
    }

    /// Waits until the server stops by itself (after its signal fired).
    pub async fn wait(mut self) -> io::Result<()> {
        match self.task.take() {
            Some(t) => t.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }

    /// Stops accepting, lets in-flight requests finish (within the shutdown timeout), drops the
    /// connections still open and waits for the server task.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(t) => t.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// Accepts connections (at most `max_connections` open) and serves HTTP/1.1 on each with a header
/// read timeout, until `stop`; then shuts down within `shutdown_timeout`.
async fn serve_loop(
    router: Router,
    listener: TcpListener,
    stop: impl std::future::Future<Output = ()>,
    options: ServeOptions,
    open: Arc<Semaphore>,
) -> io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(stop);
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            _ = &mut stop => break,
            p = open.clone().acquire_owned() => p.expect("the semaphore is never closed"),
        };
        let stream = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(options.header_read_timeout)
            .serve_connection(
                TokioIo::new(stream),
                TowerToHyperService::new(router.clone()),
            );
        let conn = graceful.watch(conn);
        connections.spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    // New connections are refused from here on; idle ones close now, busy ones after their response.
    drop(listener);
    let still_open = connections.len();
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(options.shutdown_timeout) => {
            tracing::warn!(
                still_open = connections.len(),
                of = still_open,
                "shutdown timeout reached: dropping the connections still open"
            );
        }
    }
    connections.shutdown().await;
    Ok(())
}

/// A stable error code attached to a response, so the request log can show it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoggedError(pub &'static str);

/// One structured log line per request: method, path (never the query: the legacy query carries a
/// signature, browser callbacks carry codes), status, latency and the stable error code if any.
pub async fn request_log(service: &'static str, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let error = resp.extensions().get::<LoggedError>().map(|e| e.0);
    let latency_us = start.elapsed().as_micros() as u64;
    if status >= 500 {
        tracing::warn!(service, %method, path, status, latency_us, error, "request");
    } else {
        tracing::info!(service, %method, path, status, latency_us, error, "request");
    }
    resp
}

/// `n` random bytes as unpadded base64url.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the OS random source works");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the OS random source works");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// How connections are treated (slow clients, cap, shutdown): the flags of every server binary.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct ConnArgs {
    /// Close a connection whose request head has not arrived within this time, milliseconds.
    #[arg(
        long,
        env = "DINGTALK_HEADER_READ_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub header_read_timeout_ms: u64,
    /// Answer 408 when a request body has not arrived within this time, milliseconds (backend).
    #[arg(long, env = "DINGTALK_BODY_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub body_read_timeout_ms: u64,
    /// At most this many open connections; more wait in the listen backlog.
    #[arg(long, env = "DINGTALK_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// On SIGTERM / Ctrl-C, in-flight requests get this long, then open connections are dropped,
    /// milliseconds.
    #[arg(long, env = "DINGTALK_SHUTDOWN_TIMEOUT_MS", default_value_t = 10_000)]
    pub shutdown_timeout_ms: u64,
}

impl ConnArgs {
    /// The options these flags describe.
    pub fn serve_options(self) -> ServeOptions {
        ServeOptions {
            header_read_timeout: Duration::from_millis(self.header_read_timeout_ms.max(1)),
            max_connections: self.max_connections.max(1),
            shutdown_timeout: Duration::from_millis(self.shutdown_timeout_ms),
        }
    }

    /// The backend's body-read bound.
    pub fn body_read_timeout(self) -> Duration {
        Duration::from_millis(self.body_read_timeout_ms.max(1))
    }
}

/// Binds `addr`, with the address in the error.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("bind {addr}: {e}"))
}

/// The start-up line on stdout that scripts read:
/// `{"event":"listening","service":"backend","url":"http://127.0.0.1:8080"}`.
pub fn announce(service: &str, srv: &RunningServer) {
    println!(
        "{}",
        serde_json::json!({"event": "listening", "service": service, "url": srv.url()})
    );
}

/// Completes on SIGTERM or Ctrl-C. The handlers are installed when this is called, not when the
/// future is first polled: the server polls it on its own task, possibly after the start-up line
/// is out, and a SIGTERM arriving in between would meet the default action (the process killed by
/// the signal, not shut down gracefully with exit status 0).
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            async fn recv(s: Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            let (term, int) = signals;
            tokio::select! { _ = recv(term) => {}, _ = recv(int) => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing in-flight requests");
    }
}

/// The logging flag of every server binary.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct LogArgs {
    /// Log as JSON lines instead of text (filter with RUST_LOG, default info).
    #[arg(long, global = true, env = "DINGTALK_AUTH_LOG_JSON")]
    pub log_json: bool,
}

/// Runs a server binary's `main`: tracing on stderr as `log` says, then `run`; an error is one line
/// on stderr, `program: reason`, and exit status 1.
pub async fn main_with(
    program: &str,
    log: LogArgs,
    run: impl std::future::Future<Output = Result<(), String>>,
) -> std::process::ExitCode {
    init_tracing(log.log_json);
    match run.await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{program}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Installs a tracing subscriber on stderr. `RUST_LOG` filters (default `info`); `json` switches to
/// one JSON object per line.
pub fn init_tracing(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only for a terminal: logs written to a file must stay plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
        .with_writer(io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
