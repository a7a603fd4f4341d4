//! The HTTP JSON API over the index (axum), with its OpenAPI document at `/openapi.json`,
//! `/health` (the process answers), `/ready` (ingestion has caught up with its source)
//! and Prometheus metrics at `/metrics`. Every request runs under a timeout; store reads
//! run on the blocking pool so a slow one cannot stall the server's other requests.

pub mod changes;
pub mod economy;
pub mod economy_views;
pub mod error;
pub mod metrics;
pub mod network;
pub mod nodes;
pub mod placement;
pub mod service;
pub mod views;

pub use error::ApiError;
pub use service::{DynStore, IndexerService};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use solana_sdk::pubkey::Pubkey;
use std::sync::Arc;
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;

/// How long a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(OpenApi)]
#[openapi(
    info(
        title = "$IO indexer API",
        description = "The compressed node registry and the economy (stakes, slashes, emissions, payments, burns, proposals), read from the chain's transactions."
    ),
    paths(
        nodes::status,
        nodes::nodes,
        nodes::node,
        nodes::history,
        nodes::node_proof,
        nodes::leaf_proof,
        nodes::trees,
        nodes::operator,
        changes::changes,
        placement::placement,
        placement::cluster,
        economy::stake,
        economy::operator_slashes,
        economy::emissions,
        economy::payments,
        economy::burns,
        economy::proposals,
        economy::proposal_detail,
        network::network_metrics,
        network::network_cells,
    )
)]
pub struct ApiDoc;

/// The routes, with the request timeout and the latency metric.
pub fn router(service: Arc<IndexerService>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics_text))
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .route("/v1/status", get(nodes::status))
        .route("/v1/nodes", get(nodes::nodes))
        .route("/v1/nodes/{node_id}", get(nodes::node))
        .route("/v1/nodes/{node_id}/history", get(nodes::history))
        .route("/v1/nodes/{node_id}/proof", get(nodes::node_proof))
        .route("/v1/trees", get(nodes::trees))
        .route("/v1/trees/{tree}/leaves/{leaf_index}/proof", get(nodes::leaf_proof))
        .route("/v1/operators/{operator}", get(nodes::operator))
        .route("/v1/changes", get(changes::changes))
        .route("/v1/operators/{operator}/stake", get(economy::stake))
        .route("/v1/operators/{operator}/slashes", get(economy::operator_slashes))
        .route("/v1/emissions", get(economy::emissions))
        .route("/v1/payments", get(economy::payments))
        .route("/v1/burns", get(economy::burns))
        .route("/v1/proposals", get(economy::proposals))
        .route("/v1/proposals/{id}", get(economy::proposal_detail))
        .route("/v1/network/metrics", get(network::network_metrics))
        .route("/v1/network/cells", get(network::network_cells))
        .route("/v1/placement", get(placement::placement))
        .route("/v1/placement/cluster", get(placement::cluster))
        .layer(axum::middleware::from_fn_with_state(service.clone(), metrics::track))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, REQUEST_TIMEOUT))
        .with_state(service)
}

/// Serves the API on `listener` until the future resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<IndexerService>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(listener, router(service), shutdown).await
}

/// What the dashboard page reads at `/config.json` before anything else.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct DashboardConfig {
    /// The JSON-RPC endpoint the page's wallet flows (stake, unstake, claim, vote) send
    /// their transactions to, straight from the browser. None: the page only reads.
    pub wallet_rpc: Option<String>,
}

/// The API's routes, the dashboard's `config.json`, and its built files (`index.html` and
/// its assets) for every other path: one origin, so the page reads the API without CORS.
pub fn router_with_dashboard(service: Arc<IndexerService>, dashboard: &std::path::Path, config: DashboardConfig) -> Router {
    let config = Arc::new(config);
    router(service)
        .route("/config.json", get(move || async move { axum::Json((*config).clone()) }))
        .fallback_service(tower_http::services::ServeDir::new(dashboard).append_index_html_on_directories(true))
}

/// Serves `router` on `listener` until the future resolves.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}

async fn ready(State(service): State<Arc<IndexerService>>) -> impl IntoResponse {
    if service.caught_up() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "catching up")
    }
}

async fn metrics_text(State(service): State<Arc<IndexerService>>) -> impl IntoResponse {
    // The network figures are read from the index at each scrape (gathered once per cursor).
    let refresh = service.clone();
    let refreshed = tokio::task::spawn_blocking(move || match refresh.network_report(None) {
        Ok(report) => refresh.metrics.network.set(&report),
        Err(_) => {
            refresh.metrics.network.report_errors.inc();
        }
    })
    .await;
    if refreshed.is_err() {
        service.metrics.network.report_errors.inc();
    }
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, &service.metrics.registry()) {
        Ok(()) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/plain")], e.to_string()),
    }
}

/// A base58 key from a path or query value, refused by name.
pub fn parse_key(field: &str, value: &str) -> Result<Pubkey, ApiError> {
    value.trim().parse().map_err(|_| ApiError::bad_request("InvalidKey", format!("{field}: {value:?} is not a base58 public key")))
}

/// Runs store work on the blocking pool.
async fn blocking<T: Send + 'static>(
    service: Arc<IndexerService>,
    work: impl FnOnce(Arc<IndexerService>) -> Result<T, ApiError> + Send + 'static,
) -> Result<Json<T>, ApiError> {
    match tokio::task::spawn_blocking(move || work(service)).await {
        Ok(result) => result.map(Json),
        Err(e) => Err(ApiError { status: StatusCode::INTERNAL_SERVER_ERROR, name: "Internal", message: e.to_string() }),
    }
}
