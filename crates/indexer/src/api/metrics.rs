//! Prometheus metrics: ingestion (cursor, lag, events and transactions, batch time,
//! stops), query latency per route, and the network's health numbers (`io_metrics`),
//! refreshed from the index at each scrape.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

type Level = Gauge<f64, AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TierLabels {
    /// enterprise, mid-market, consumer, or all.
    pub tier: String,
}

/// The network's health numbers, as the last scrape computed them.
#[derive(Clone, Default)]
pub struct NetworkGauges {
    pub io_usd: Level,
    pub de_ratio: Level,
    pub annual_demand_usd: Level,
    pub annual_emission_usd: Level,
    pub annual_minted_io: Level,
    pub annual_burned_io: Level,
    pub break_even_demand_usd: Level,
    pub largest_operator_share: Level,
    pub herfindahl: Level,
    pub spacing: Family<TierLabels, Level>,
    pub active_nodes: Family<TierLabels, Level>,
    pub payback_months: Family<TierLabels, Level>,
    pub attrition_price_usd: Family<TierLabels, Level>,
    /// Scrapes whose report could not be made (no price, no parameters, a store error).
    pub report_errors: Counter,
}

impl NetworkGauges {
    /// Sets every gauge from `report`; a figure the report lacks (no emission yet, no
    /// active node of a tier) reads NaN, which Prometheus shows as no value.
    pub fn set(&self, report: &io_metrics::NetworkReport) {
        let or_nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
        let trailing = report.trailing.as_ref();
        self.io_usd.set(report.price.io_usd);
        self.de_ratio.set(or_nan(trailing.and_then(|t| t.de_ratio)));
        self.annual_demand_usd.set(or_nan(trailing.map(|t| t.annual_demand_usd)));
        self.annual_emission_usd.set(or_nan(trailing.map(|t| t.annual_emission_usd)));
        self.annual_minted_io.set(or_nan(trailing.map(|t| t.annual_minted_io)));
        self.annual_burned_io.set(or_nan(trailing.map(|t| t.annual_burned_io)));
        self.break_even_demand_usd.set(or_nan(trailing.and_then(|t| t.break_even_demand_usd)));
        let concentration = &report.decentralization.concentration;
        self.largest_operator_share.set(concentration.largest_share);
        self.herfindahl.set(concentration.herfindahl);
        let label = |tier: Option<io_metrics::Tier>| TierLabels { tier: tier.map_or_else(|| "all".to_string(), |t| t.to_string()) };
        for spacing in &report.decentralization.spacing {
            self.spacing.get_or_create(&label(spacing.tier)).set(or_nan(spacing.coefficient));
        }
        for mix in &report.tier_mix {
            self.active_nodes.get_or_create(&label(Some(mix.tier))).set(mix.active_nodes as f64);
        }
        for tier in &report.hardware {
            self.payback_months.get_or_create(&label(Some(tier.tier))).set(or_nan(tier.payback_months));
            self.attrition_price_usd.get_or_create(&label(Some(tier.tier))).set(or_nan(tier.attrition_price_usd));
        }
    }

    fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("network");
        r.register("io_usd", "The IO/USD price the network figures use", self.io_usd.clone());
        r.register("de_ratio", "Demand-to-emission ratio, trailing 12 periods (self-sustaining at 0.60)", self.de_ratio.clone());
        r.register("annual_demand_usd", "Demand spend, trailing 12 periods annualised", self.annual_demand_usd.clone());
        r.register("annual_emission_usd", "Value of emissions, trailing 12 periods annualised", self.annual_emission_usd.clone());
        r.register("annual_minted_io", "IO minted, trailing 12 periods annualised", self.annual_minted_io.clone());
        r.register("annual_burned_io", "IO burned, trailing 12 periods annualised", self.annual_burned_io.clone());
        r.register("break_even_demand_usd", "Yearly demand whose buyback burns what is emitted", self.break_even_demand_usd.clone());
        r.register("largest_operator_share", "Largest operator's share of active nodes", self.largest_operator_share.clone());
        r.register("herfindahl", "Herfindahl index of operators' shares of active nodes", self.herfindahl.clone());
        r.register("spacing_coefficient", "Distinct H3 cells per active node (target 0.85)", self.spacing.clone());
        r.register("active_nodes", "Verified nodes", self.active_nodes.clone());
        r.register("payback_months", "Months for a GPU's rewards to pay its hardware and shipping", self.payback_months.clone());
        r.register("attrition_price_usd", "IO price below which a GPU's rewards no longer pay its power", self.attrition_price_usd.clone());
        r.register("report_errors", "Scrapes whose network report failed", self.report_errors.clone());
    }
}

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
    pub network: NetworkGauges,
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
            network: NetworkGauges::default(),
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
        self.network.register(&mut registry);
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
