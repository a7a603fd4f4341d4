//! Prometheus metrics: ingestion (cursor, lag, events and transactions, batch time,
//! stops) and query latency per route.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub status: u16,
}

fn latency_histogram() -> Histogram {
    // 10 µs to about 10 s.
    Histogram::new(exponential_buckets(1e-5, 4.0, 11))
}

#[derive(Clone)]
pub struct IndexerMetrics {
    pub cursor: Gauge,
    /// Transactions the source has past the cursor, at the end of the last pass.
    pub lag: Gauge,
    pub events: Counter,
    /// The economy's events kept (stakes, slashes, emissions, payments, proposals...).
    pub economy_events: Counter,
    pub transactions: Counter,
    /// Ingestion stops (a root mismatch, a gap, a store or source error).
    pub errors: Counter,
    pub batch_seconds: Histogram,
    pub requests: Family<RouteLabels, Histogram, fn() -> Histogram>,
}

impl Default for IndexerMetrics {
    fn default() -> Self {
        Self {
            cursor: Gauge::default(),
            lag: Gauge::default(),
            events: Counter::default(),
            economy_events: Counter::default(),
            transactions: Counter::default(),
            errors: Counter::default(),
            batch_seconds: latency_histogram(),
            requests: Family::new_with_constructor(latency_histogram),
        }
    }
}

impl IndexerMetrics {
    /// The registry the `/metrics` route encodes.
    pub fn registry(&self) -> Registry {
        let mut registry = Registry::with_prefix("io_indexer");
        registry.register("cursor", "The last indexed transaction", self.cursor.clone());
        registry.register("lag_transactions", "Transactions the source has past the cursor", self.lag.clone());
        registry.register("events", "Node events ingested", self.events.clone());
        registry.register("economy_events", "Economy events ingested", self.economy_events.clone());
        registry.register("transactions", "Transactions ingested", self.transactions.clone());
        registry.register("ingest_errors", "Ingestion passes stopped by an error", self.errors.clone());
        registry.register("batch_seconds", "Time to decode, check and commit one batch", self.batch_seconds.clone());
        registry.register("request_seconds", "API request latency by route and status", self.requests.clone());
        registry
    }
}

/// Times every request under its route's pattern (not its path, so node keys do not each
/// make a series).
pub async fn track(State(service): State<Arc<super::IndexerService>>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = RouteLabels { route, status: response.status().as_u16() };
    service.metrics.requests.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    response
}
