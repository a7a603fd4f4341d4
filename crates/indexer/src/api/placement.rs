//! The placement query and the cluster query, answered from the indexer's placement index.

use super::blocking;
use super::error::ApiError;
use super::service::IndexerService;
use super::views::{ClusterView, NodeView, PlacementView};
use axum::extract::{Query, State};
use axum::Json;
use io_registry::GpuCatalogue;
use io_sdk::parse::parse_cuda;
use io_sdk::placement::{resolve_model, PlacementRequest};
use serde::Deserialize;
use std::sync::Arc;
use utoipa::IntoParams;

/// Most candidates one placement answer holds.
pub const MAX_CANDIDATES: usize = 1_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlacementQuery {
    /// Catalogue model name (case-insensitive) or id.
    pub model: String,
    /// Lowest acceptable CUDA version, "major.minor" (any if omitted).
    pub min_cuda: Option<String>,
    /// Fewest GPUs a node must have (1 if omitted).
    pub gpus: Option<u16>,
    /// Most candidates, 1 to 1000 (100 if omitted).
    pub limit: Option<usize>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClusterQuery {
    /// Catalogue model name (case-insensitive) or id.
    pub model: String,
    /// Lowest acceptable CUDA version, "major.minor" (any if omitted).
    pub min_cuda: Option<String>,
    /// Fewest GPUs each node must have (1 if omitted).
    pub gpus: Option<u16>,
    /// Nodes in the group, 1 to 64.
    pub nodes: usize,
    /// Largest H3 grid distance between any two of the group's cells, 0 to 16.
    pub distance: u32,
}

/// The request, with the model resolved in the catalogue; refusals by name.
fn request(
    catalogue: &GpuCatalogue,
    model: &str,
    min_cuda: Option<&str>,
    gpus: Option<u16>,
) -> Result<(String, PlacementRequest), ApiError> {
    let resolved = match model.trim().parse::<u16>() {
        Ok(id) => catalogue
            .models
            .iter()
            .find(|m| m.id == id)
            .ok_or_else(|| ApiError::bad_request("UnknownModelId", format!("no GPU model with catalogue id {id}")))?,
        Err(_) => resolve_model(catalogue, model).map_err(ApiError::placement)?,
    };
    let min_cuda = match min_cuda {
        Some(v) => parse_cuda(v).map_err(|e| ApiError::bad_request("InvalidParameter", format!("min_cuda: {v:?}: {e}")))?,
        None => Default::default(),
    };
    let request = PlacementRequest { model: resolved.id, min_cuda, min_gpus: gpus.unwrap_or(1), limit: None };
    Ok((resolved.name.clone(), request))
}

fn catalogue(service: &IndexerService) -> Result<GpuCatalogue, ApiError> {
    service
        .catalogue()
        .ok_or_else(|| ApiError::unavailable("CatalogueUnavailable", "the server has no GPU catalogue to resolve models with".into()))
}

/// Verified nodes of a model with CUDA at least the minimum and enough GPUs: lowest RTT
/// first, then highest bandwidth.
#[utoipa::path(get, path = "/v1/placement", params(PlacementQuery),
    responses((status = 200, body = PlacementView), (status = 400, body = super::views::ErrorView), (status = 503, body = super::views::ErrorView)))]
pub async fn placement(
    State(service): State<Arc<IndexerService>>,
    Query(query): Query<PlacementQuery>,
) -> Result<Json<PlacementView>, ApiError> {
    blocking(service, move |service| {
        let catalogue = catalogue(&service)?;
        let (model, mut request) = request(&catalogue, &query.model, query.min_cuda.as_deref(), query.gpus)?;
        let limit = query.limit.unwrap_or(100);
        if limit > MAX_CANDIDATES {
            return Err(ApiError::bad_request("InvalidParameter", format!("limit: {limit} is above {MAX_CANDIDATES}")));
        }
        request.limit = Some(limit);
        let candidates = service.read().placement().place(&catalogue, &request).map_err(ApiError::placement)?;
        Ok(PlacementView {
            model,
            model_id: request.model,
            candidates: candidates.iter().map(|c| NodeView::new(&c.tree, &c.record, Some(&catalogue))).collect(),
        })
    })
    .await
}

/// `nodes` candidates whose H3 cells lie pairwise within `distance` grid steps, with the
/// lowest worst RTT the search finds (see `PlacementIndex::cluster`).
#[utoipa::path(get, path = "/v1/placement/cluster", params(ClusterQuery),
    responses((status = 200, body = ClusterView), (status = 400, body = super::views::ErrorView), (status = 503, body = super::views::ErrorView)))]
pub async fn cluster(State(service): State<Arc<IndexerService>>, Query(query): Query<ClusterQuery>) -> Result<Json<ClusterView>, ApiError> {
    blocking(service, move |service| {
        let catalogue = catalogue(&service)?;
        let (model, request) = request(&catalogue, &query.model, query.min_cuda.as_deref(), query.gpus)?;
        let group = service.read().placement().cluster(&catalogue, &request, query.nodes, query.distance).map_err(ApiError::cluster)?;
        let nodes: Vec<NodeView> = group.iter().flatten().map(|c| NodeView::new(&c.tree, &c.record, Some(&catalogue))).collect();
        Ok(ClusterView { model, found: group.is_some(), worst_rtt_us: nodes.iter().map(|n| n.rtt_us).max(), nodes })
    })
    .await
}
