//! Serving, request logs and randomness shared by the backend and the fake.

use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use base64::Engine as _;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server running on a tokio task. Dropping it without [`RunningServer::shutdown`] aborts it.
pub struct RunningServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl RunningServer {
    /// Serves `router` on `listener` until [`RunningServer::shutdown`] (graceful: in-flight requests
    /// finish, new connections are refused).
    pub async fn start(router: Router, listener: TcpListener) -> io::Result<Self> {
        Self::start_with_signal(router, listener, std::future::pending()).await
    }

    /// As [`RunningServer::start`], also stopping gracefully when `signal` completes (e.g. Ctrl-C).
    pub async fn start_with_signal(
        router: Router,
        listener: TcpListener,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> io::Result<Self> {
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    tokio::select! {
                        _ = rx => {}
                        _ = signal => {}
                    }
                })
                .await
        });
        Ok(RunningServer {
            addr,
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

    /// Waits until the server stops by itself (after its signal fired).
    pub async fn wait(mut self) -> io::Result<()> {
        match self.task.take() {
            Some(t) => t.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the server task.
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

/// A stable error code attached to a response, so the request log can show it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoggedError(pub &'static str);

/// One structured log line per request: method, path (never the query: the legacy query carries a
/// signature, browser callbacks carry codes), status, latency and the stable error code if any.
pub(crate) async fn request_log(service: &'static str, req: Request, next: Next) -> Response {
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
pub(crate) fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the OS random source works");
    buf.iter().map(|b| format!("{b:02x}")).collect()
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
