//! Routes over the economy: stake positions and slashes of an operator, emissions, payments,
//! burns, proposals and their votes. Lists are paged by the position of their last event
//! (`after=<seq>:<ordinal>`), proposals by id.

use super::economy_views::{
    proposal, slashes, BurnView, BurnsPage, EmissionView, EmissionsPage, PaymentView, PaymentsPage, ProposalDetail, ProposalsPage,
    SlashView, StakeView,
};
use super::error::ApiError;
use super::service::IndexerService;
use super::{blocking, parse_key};
use crate::economy::{proposal_subject, EconomyEvent, EventQuery, StoredEvent, PROPOSAL_KINDS, SLASH_KINDS, STAKE_KINDS};
use crate::Store;
use axum::extract::{Path, Query, State};
use axum::Json;
use io_staking::SlashDestination;
use io_treasury::Asset;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::IntoParams;

/// Most items one page holds.
pub const MAX_PAGE: usize = 1_000;
const DEFAULT_PAGE: usize = 100;
/// Most proposals one page holds (each is a fold of its own events).
pub const MAX_PROPOSALS: u64 = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next` of the previous page.
    pub after: Option<String>,
    /// Items per page, 1 to 1000 (100 if omitted).
    pub limit: Option<usize>,
    /// Only this payer's payments (payments only), base58.
    pub payer: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProposalPageQuery {
    /// The first id (0 if omitted).
    pub from_id: Option<u64>,
    /// Proposals per page, 1 to 100 (20 if omitted).
    pub limit: Option<u64>,
}

fn page_size(limit: Option<usize>) -> Result<usize, ApiError> {
    match limit.unwrap_or(DEFAULT_PAGE) {
        n @ 1..=MAX_PAGE => Ok(n),
        n => Err(ApiError::bad_request("InvalidLimit", format!("limit {n}: 1 to {MAX_PAGE}"))),
    }
}

pub(crate) fn parse_after(after: Option<&str>) -> Result<Option<(u64, u32)>, ApiError> {
    let Some(text) = after else { return Ok(None) };
    let bad = || ApiError::bad_request("InvalidCursor", format!("after: {text:?} is not <seq>:<ordinal> from a previous page"));
    let (seq, ordinal) = text.split_once(':').ok_or_else(bad)?;
    Ok(Some((seq.parse().map_err(|_| bad())?, ordinal.parse().map_err(|_| bad())?)))
}

/// Every event of a subject of the given kinds, read a page at a time.
fn all_of(store: &dyn Store, kinds: &[&'static str], subject: &str) -> Result<Vec<StoredEvent>, ApiError> {
    let mut out: Vec<StoredEvent> = vec![];
    loop {
        let after = out.last().map(|e| (e.seq, e.ordinal));
        let page = store.events(&EventQuery { kinds, subject: Some(subject), after, limit: MAX_PAGE })?;
        let full = page.len() == MAX_PAGE;
        out.extend(page);
        if !full {
            return Ok(out);
        }
    }
}

/// One page of events of `kinds`, and the cursor after its last (absent when the page is
/// not full: nothing follows yet).
fn page(
    service: &IndexerService,
    kinds: &[&'static str],
    subject: Option<&str>,
    query: &PageQuery,
) -> Result<(Vec<StoredEvent>, Option<String>), ApiError> {
    let limit = page_size(query.limit)?;
    let after = parse_after(query.after.as_deref())?;
    let events = service.read().store().events(&EventQuery { kinds, subject, after, limit })?;
    let next = (events.len() == limit).then(|| events.last().map(|e| format!("{}:{}", e.seq, e.ordinal))).flatten();
    Ok((events, next))
}

/// An operator's stake position: bonded, unbonding, withdrawn, slashed, weight, rewards claimed.
#[utoipa::path(get, path = "/v1/operators/{operator}/stake", params(("operator" = String, Path, description = "The operator's key, base58")),
    responses((status = 200, body = StakeView), (status = 400, body = super::views::ErrorView), (status = 404, body = super::views::ErrorView)))]
pub async fn stake(State(service): State<Arc<IndexerService>>, Path(operator): Path<String>) -> Result<Json<StakeView>, ApiError> {
    let key = parse_key("operator", &operator)?;
    blocking(service, move |service| {
        let events = all_of(service.read().store(), STAKE_KINDS, &key.to_string())?;
        if events.is_empty() {
            return Err(ApiError::not_found("StakeNotFound", format!("operator {key} has never staked")));
        }
        let mut view = StakeView { operator: key.to_string(), ..StakeView::default() };
        events.iter().filter_map(StoredEvent::event).for_each(|e| view.apply(&e));
        Ok(view)
    })
    .await
}

/// The slash proposals against an operator, oldest first, with their outcome.
#[utoipa::path(get, path = "/v1/operators/{operator}/slashes", params(("operator" = String, Path, description = "The operator's key, base58")),
    responses((status = 200, body = Vec<SlashView>), (status = 400, body = super::views::ErrorView)))]
pub async fn operator_slashes(
    State(service): State<Arc<IndexerService>>,
    Path(operator): Path<String>,
) -> Result<Json<Vec<SlashView>>, ApiError> {
    let key = parse_key("operator", &operator)?;
    blocking(service, move |service| Ok(slashes(&all_of(service.read().store(), SLASH_KINDS, &key.to_string())?))).await
}

/// Emission cranks, oldest first: the epochs each closed, what they emitted and paid.
#[utoipa::path(get, path = "/v1/emissions", params(PageQuery), responses((status = 200, body = EmissionsPage), (status = 400, body = super::views::ErrorView)))]
pub async fn emissions(
    State(service): State<Arc<IndexerService>>,
    Query(query): Query<PageQuery>,
) -> Result<Json<EmissionsPage>, ApiError> {
    blocking(service, move |service| {
        let (events, next) = page(&service, &["EpochAdvanced"], None, &query)?;
        let items = events
            .iter()
            .filter_map(|stored| match stored.event()? {
                EconomyEvent::EpochAdvanced(e) => Some(EmissionView {
                    seq: stored.seq,
                    first_epoch: e.first_epoch,
                    epochs: e.epochs,
                    year: e.year,
                    emitted: e.emitted,
                    minted: e.minted,
                    paid: e.paid,
                    returned: e.returned,
                    reclaimed: e.reclaimed,
                    held_back: e.held_back,
                    total_minted: e.total_minted,
                    breaker_limited: e.breaker_limited,
                }),
                _ => None,
            })
            .collect();
        Ok(EmissionsPage { items, next })
    })
    .await
}

/// Payments for compute, oldest first; `payer` selects one payer's.
#[utoipa::path(get, path = "/v1/payments", params(PageQuery), responses((status = 200, body = PaymentsPage), (status = 400, body = super::views::ErrorView)))]
pub async fn payments(State(service): State<Arc<IndexerService>>, Query(query): Query<PageQuery>) -> Result<Json<PaymentsPage>, ApiError> {
    let payer = query.payer.as_deref().map(|p| parse_key("payer", p)).transpose()?.map(|k| k.to_string());
    blocking(service, move |service| {
        let (events, next) = page(&service, &["PaymentReceived"], payer.as_deref(), &query)?;
        let items = events
            .iter()
            .filter_map(|stored| match stored.event()? {
                EconomyEvent::PaymentReceived(e) => Some(PaymentView {
                    seq: stored.seq,
                    payer: e.payer.to_string(),
                    asset: format!("{:?}", e.asset),
                    amount: e.amount,
                    fee: e.fee,
                    rest: e.rest,
                    reference: super::views::b58(e.reference),
                    period: e.period,
                }),
                _ => None,
            })
            .collect();
        Ok(PaymentsPage { items, next })
    })
    .await
}

/// IO burned, oldest first: the 98% of payments in IO, buybacks, slashes to the burn.
#[utoipa::path(get, path = "/v1/burns", params(PageQuery), responses((status = 200, body = BurnsPage), (status = 400, body = super::views::ErrorView)))]
pub async fn burns(State(service): State<Arc<IndexerService>>, Query(query): Query<PageQuery>) -> Result<Json<BurnsPage>, ApiError> {
    blocking(service, move |service| {
        let (events, next) = page(&service, &["PaymentReceived", "BuybackFilled", "SlashExecuted"], None, &query)?;
        let items = events
            .iter()
            .filter_map(|stored| {
                let (source, amount, by) = match stored.event()? {
                    EconomyEvent::PaymentReceived(e) if e.asset == Asset::Io => ("Payment", e.rest, e.payer),
                    EconomyEvent::BuybackFilled(e) => ("Buyback", e.io_burned, e.keeper),
                    EconomyEvent::SlashExecuted(e) if e.destination == SlashDestination::Burn => ("Slash", e.amount, e.operator),
                    _ => return None,
                };
                Some(BurnView { seq: stored.seq, source: source.into(), amount, by: by.to_string() })
            })
            .collect();
        Ok(BurnsPage { items, next })
    })
    .await
}

/// Proposals by id from `from_id`, each with its status and tally.
#[utoipa::path(get, path = "/v1/proposals", params(ProposalPageQuery), responses((status = 200, body = ProposalsPage), (status = 400, body = super::views::ErrorView)))]
pub async fn proposals(
    State(service): State<Arc<IndexerService>>,
    Query(query): Query<ProposalPageQuery>,
) -> Result<Json<ProposalsPage>, ApiError> {
    let limit = match query.limit.unwrap_or(20) {
        n @ 1..=MAX_PROPOSALS => n,
        n => return Err(ApiError::bad_request("InvalidLimit", format!("limit {n}: 1 to {MAX_PROPOSALS}"))),
    };
    blocking(service, move |service| {
        let from = query.from_id.unwrap_or(0);
        let mut items = vec![];
        for id in from..from.saturating_add(limit) {
            // Ids are handed out in order: the first id with no events ends the list.
            match proposal(&all_of(service.read().store(), PROPOSAL_KINDS, &proposal_subject(id))?) {
                Some(detail) => items.push(detail.proposal),
                None => return Ok(ProposalsPage { items, next: None }),
            }
        }
        Ok(ProposalsPage { items, next: Some(from.saturating_add(limit)) })
    })
    .await
}

/// A proposal with its tally and every vote.
#[utoipa::path(get, path = "/v1/proposals/{id}", params(("id" = u64, Path, description = "The proposal's id")),
    responses((status = 200, body = ProposalDetail), (status = 404, body = super::views::ErrorView)))]
pub async fn proposal_detail(State(service): State<Arc<IndexerService>>, Path(id): Path<u64>) -> Result<Json<ProposalDetail>, ApiError> {
    blocking(service, move |service| {
        proposal(&all_of(service.read().store(), PROPOSAL_KINDS, &proposal_subject(id))?)
            .ok_or_else(|| ApiError::not_found("ProposalNotFound", format!("no proposal {id}")))
    })
    .await
}
