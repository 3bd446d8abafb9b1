//! The HTTP listener: `/metrics` for Prometheus, `/healthz` and `/readyz`
//! for orchestrators. Bound before the consumer starts so a stuck startup
//! is still observable.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::Metrics;

/// Readiness as the consumer reports it: connected and holding partitions.
/// Kept beside the `zhaoshang_ready` gauge so probe and metric never disagree.
#[derive(Clone)]
pub struct Health {
    ready: Arc<AtomicBool>,
    metrics: Metrics,
}

impl Health {
    pub fn new(metrics: Metrics) -> Health {
        Health { ready: Arc::new(AtomicBool::new(false)), metrics }
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
        self.metrics.ready.set(i64::from(ready));
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot listen on metrics.address {address}: {source}")]
pub struct BindError {
    pub address: String,
    pub source: std::io::Error,
}

/// Bind now (so an address in use is a startup error), serve in the background
/// until `shutdown` resolves. Returns the bound address (port 0 picks one).
pub async fn serve(
    address: &str,
    health: Health,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), BindError> {
    let bind_err = |source| BindError { address: address.to_owned(), source };
    let listener = tokio::net::TcpListener::bind(address).await.map_err(bind_err)?;
    let local = listener.local_addr().map_err(bind_err)?;
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(health);
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::error!(error = %e, "metrics listener failed");
        }
    });
    Ok((local, handle))
}

async fn metrics(State(h): State<Health>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], h.metrics.render())
}

async fn readyz(State(h): State<Health>) -> impl IntoResponse {
    if h.is_ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready: no partitions assigned yet\n")
    }
}
