//! The registry's change feed: every node event in chain order, after a position, as the
//! chain logged it. A follower (the oracle daemon) applies each page to its own mirror, so
//! it reads each event once instead of rebuilding the registry on every request.

use super::blocking;
use super::error::ApiError;
use super::service::IndexerService;
use crate::Store;
use anchor_lang::AnchorSerialize;
use axum::extract::{Query, State};
use axum::Json;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Most events one page holds.
pub const MAX_CHANGES: usize = 10_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The `next` of the previous page (from the first event if omitted).
    pub after: Option<String>,
    /// Events per page, 1 to 10000 (1000 if omitted).
    pub limit: Option<usize>,
}

/// One node event.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangeView {
    /// The transaction's position, and the event's place among its node events.
    pub seq: u64,
    pub within: u32,
    /// Registered, Updated, Attested or Retired.
    pub change: String,
    pub node_id: String,
    /// The `NodeEvent` as the registry logged it (borsh), base64.
    pub event: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangesPage {
    pub items: Vec<ChangeView>,
    /// The position of the last item, `<seq>:<within>`: pass it as `after` (also when the
    /// page is short: it is where the next poll starts). Absent on an empty page.
    pub next: Option<String>,
    /// The indexer's cursor when the page was read: the events up to it are all served.
    pub cursor: Option<u64>,
}

/// Node events after a position, in chain order.
#[utoipa::path(get, path = "/v1/changes", params(ChangesQuery),
    responses((status = 200, body = ChangesPage), (status = 400, body = super::views::ErrorView)))]
pub async fn changes(State(service): State<Arc<IndexerService>>, Query(query): Query<ChangesQuery>) -> Result<Json<ChangesPage>, ApiError> {
    let limit = match query.limit.unwrap_or(1_000) {
        n @ 1..=MAX_CHANGES => n,
        n => return Err(ApiError::bad_request("InvalidLimit", format!("limit {n}: 1 to {MAX_CHANGES}"))),
    };
    let after = super::economy::parse_after(query.after.as_deref())?;
    blocking(service, move |service| {
        let indexer = service.read();
        let cursor = indexer.store().cursor()?;
        let events = indexer.store().changes(after, limit)?;
        let items: Vec<ChangeView> = events
            .iter()
            .map(|(seq, within, event)| {
                let bytes = event.try_to_vec().map_err(|e| ApiError::internal(e.to_string()))?;
                Ok(ChangeView {
                    seq: *seq,
                    within: *within,
                    change: format!("{:?}", event.change),
                    node_id: event.record.node_id.to_string(),
                    event: base64::engine::general_purpose::STANDARD.encode(bytes),
                })
            })
            .collect::<Result<_, ApiError>>()?;
        let next = items.last().map(|c| format!("{}:{}", c.seq, c.within));
        Ok(ChangesPage { items, next, cursor })
    })
    .await
}
