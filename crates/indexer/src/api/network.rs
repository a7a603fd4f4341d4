//! The network's health numbers (`io_metrics`): demand-to-emission, minted and burned per
//! period, break-even demand, spacing and concentration, payback and attrition per tier.

use super::blocking;
use super::error::ApiError;
use super::service::{IndexerService, NetworkReportError};
use axum::extract::{Query, State};
use axum::Json;
use io_metrics::{MetricsError, NetworkReport};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NetworkQuery {
    /// USD per IO for every USD figure (default: the indexer's configured price, else the
    /// Pyth price of the newest buyback fill).
    pub io_usd: Option<f64>,
}

/// The map's default resolution: res 4 cells (about 1,800 km²) read at world scale.
pub const DEFAULT_MAP_RESOLUTION: u8 = 4;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CellsQuery {
    /// H3 resolution, 0 to 15 (4 if omitted).
    pub resolution: Option<u8>,
}

/// Every occupied H3 cell at a resolution.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CellsView {
    pub resolution: u8,
    /// Busiest first.
    #[schema(value_type = Vec<Object>)]
    pub cells: Vec<io_metrics::CellCount>,
}

impl From<NetworkReportError> for ApiError {
    fn from(e: NetworkReportError) -> Self {
        match e {
            NetworkReportError::NotConfigured => ApiError::unavailable("MetricsNotConfigured", e.to_string()),
            NetworkReportError::NoPrice => ApiError::bad_request("NoPrice", e.to_string()),
            NetworkReportError::Metrics(MetricsError::InvalidPrice(_)) => ApiError::bad_request("InvalidPrice", e.to_string()),
            NetworkReportError::Metrics(MetricsError::InvalidResolution(_)) => ApiError::bad_request("InvalidResolution", e.to_string()),
            NetworkReportError::Store(inner) => inner.into(),
            NetworkReportError::Metrics(_) => ApiError::internal(e.to_string()),
        }
    }
}

/// Every network metric, computed from the index (see `io_metrics::NetworkReport`).
#[utoipa::path(
    get,
    path = "/v1/network/metrics",
    params(NetworkQuery),
    responses(
        (status = 200, description = "The network report (io_metrics::NetworkReport)", content_type = "application/json"),
        (status = 400, body = super::views::ErrorView),
        (status = 503, body = super::views::ErrorView)
    )
)]
pub async fn network_metrics(
    State(service): State<Arc<IndexerService>>,
    Query(query): Query<NetworkQuery>,
) -> Result<Json<NetworkReport>, ApiError> {
    blocking(service, move |service| Ok(service.network_report(query.io_usd)?)).await
}

/// Nodes per H3 cell (every status, and verified), for the network map.
#[utoipa::path(
    get,
    path = "/v1/network/cells",
    params(CellsQuery),
    responses((status = 200, body = CellsView), (status = 400, body = super::views::ErrorView))
)]
pub async fn network_cells(
    State(service): State<Arc<IndexerService>>,
    Query(query): Query<CellsQuery>,
) -> Result<Json<CellsView>, ApiError> {
    let resolution = query.resolution.unwrap_or(DEFAULT_MAP_RESOLUTION);
    blocking(service, move |service| Ok(CellsView { resolution, cells: service.network_cells(resolution)? })).await
}
