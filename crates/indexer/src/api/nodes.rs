//! Routes over the registry: nodes, their history and proofs, trees, operators.

use super::error::ApiError;
use super::service::IndexerService;
use super::views::{b58, HistoryEntry, HistoryView, NodePage, NodeView, OperatorView, ProofView, StatusCounts, StatusView, TreeView};
use super::{blocking, parse_key};
use crate::Store;
use axum::extract::{Path, Query, State};
use axum::Json;
use h3o::CellIndex;
use io_registry::{NodeRecord, NodeStatus, Tier};
use serde::Deserialize;
use solana_sdk::pubkey::Pubkey;
use std::sync::Arc;
use utoipa::IntoParams;

/// Most leaves one page holds.
pub const MAX_PAGE: usize = 1_000;
const DEFAULT_PAGE: usize = 100;

fn count(counts: &mut StatusCounts, status: NodeStatus) {
    match status {
        NodeStatus::Pending => counts.pending += 1,
        NodeStatus::Verified => counts.verified += 1,
        NodeStatus::Suspended => counts.suspended += 1,
        NodeStatus::Retired => counts.retired += 1,
    }
}

/// What the indexer holds and how far it has read.
#[utoipa::path(get, path = "/v1/status", responses((status = 200, body = StatusView)))]
pub async fn status(State(service): State<Arc<IndexerService>>) -> Result<Json<StatusView>, ApiError> {
    blocking(service, |service| {
        let indexer = service.read();
        let mut view = StatusView {
            cursor: indexer.store().cursor()?,
            caught_up: service.caught_up(),
            trees: 0,
            leaves: 0,
            by_status: StatusCounts::default(),
        };
        for mirror in indexer.mirrors() {
            view.trees += 1;
            view.leaves += mirror.len() as u64;
            mirror.records().iter().for_each(|r| count(&mut view.by_status, r.status));
        }
        Ok(view)
    })
    .await
}

/// A node key's newest record (the leaf its latest registration appended).
#[utoipa::path(get, path = "/v1/nodes/{node_id}", params(("node_id" = String, Path, description = "The node's key, base58")),
    responses((status = 200, body = NodeView), (status = 400, body = super::views::ErrorView), (status = 404, body = super::views::ErrorView)))]
pub async fn node(State(service): State<Arc<IndexerService>>, Path(node_id): Path<String>) -> Result<Json<NodeView>, ApiError> {
    let key = parse_key("node_id", &node_id)?;
    blocking(service, move |service| {
        let found = service.read().store().node(&key)?.ok_or_else(|| ApiError::not_found("NodeNotFound", format!("no node {key}")))?;
        Ok(NodeView::new(&found.tree, &found.record, service.catalogue().as_ref()))
    })
    .await
}

/// Every change of a node key's leaves, oldest first.
#[utoipa::path(get, path = "/v1/nodes/{node_id}/history", params(("node_id" = String, Path, description = "The node's key, base58")),
    responses((status = 200, body = HistoryView), (status = 400, body = super::views::ErrorView), (status = 404, body = super::views::ErrorView)))]
pub async fn history(State(service): State<Arc<IndexerService>>, Path(node_id): Path<String>) -> Result<Json<HistoryView>, ApiError> {
    let key = parse_key("node_id", &node_id)?;
    blocking(service, move |service| {
        let events = service.read().store().history(&key)?;
        if events.is_empty() {
            return Err(ApiError::not_found("NodeNotFound", format!("no node {key}")));
        }
        let catalogue = service.catalogue();
        let events = events
            .iter()
            .map(|(seq, e)| HistoryEntry {
                seq: *seq,
                change: format!("{:?}", e.change),
                record: NodeView::new(&e.tree, &e.record, catalogue.as_ref()),
            })
            .collect();
        Ok(HistoryView { node_id: key.to_string(), events })
    })
    .await
}

/// The proof of a node key's newest leaf.
#[utoipa::path(get, path = "/v1/nodes/{node_id}/proof", params(("node_id" = String, Path, description = "The node's key, base58")),
    responses((status = 200, body = ProofView), (status = 400, body = super::views::ErrorView), (status = 404, body = super::views::ErrorView)))]
pub async fn node_proof(State(service): State<Arc<IndexerService>>, Path(node_id): Path<String>) -> Result<Json<ProofView>, ApiError> {
    let key = parse_key("node_id", &node_id)?;
    blocking(service, move |service| {
        let found = service.read().store().node(&key)?.ok_or_else(|| ApiError::not_found("NodeNotFound", format!("no node {key}")))?;
        proof_of(&service, &found.tree, found.record.leaf_index)
    })
    .await
}

/// The proof of a leaf, by tree and index.
#[utoipa::path(get, path = "/v1/trees/{tree}/leaves/{leaf_index}/proof",
    params(("tree" = String, Path, description = "The tree's key, base58"), ("leaf_index" = u32, Path, description = "The leaf's index")),
    responses((status = 200, body = ProofView), (status = 400, body = super::views::ErrorView), (status = 404, body = super::views::ErrorView)))]
pub async fn leaf_proof(
    State(service): State<Arc<IndexerService>>,
    Path((tree, leaf_index)): Path<(String, u32)>,
) -> Result<Json<ProofView>, ApiError> {
    let tree = parse_key("tree", &tree)?;
    blocking(service, move |service| proof_of(&service, &tree, leaf_index)).await
}

fn proof_of(service: &IndexerService, tree: &Pubkey, leaf_index: u32) -> Result<ProofView, ApiError> {
    let indexer = service.read();
    let mirror = indexer.mirror(tree).ok_or_else(|| ApiError::not_found("TreeNotFound", format!("no tree {tree}")))?;
    let record =
        mirror.record(leaf_index).map_err(|_| ApiError::not_found("LeafNotFound", format!("tree {tree} has no leaf {leaf_index}")))?;
    let proof =
        mirror.proof(leaf_index).map_err(|_| ApiError::not_found("LeafNotFound", format!("tree {tree} has no leaf {leaf_index}")))?;
    Ok(ProofView {
        tree: tree.to_string(),
        leaf_index,
        node_id: record.node_id.to_string(),
        leaf: b58(record.leaf_hash()),
        root: b58(mirror.root()),
        proof: proof.into_iter().map(b58).collect(),
        record: NodeView::new(tree, record, service.catalogue().as_ref()),
    })
}

/// Every indexed tree.
#[utoipa::path(get, path = "/v1/trees", responses((status = 200, body = Vec<TreeView>)))]
pub async fn trees(State(service): State<Arc<IndexerService>>) -> Result<Json<Vec<TreeView>>, ApiError> {
    blocking(service, |service| {
        let indexer = service.read();
        let mut trees: Vec<TreeView> = indexer
            .mirrors()
            .map(|m| TreeView { tree: m.tree.to_string(), depth: m.max_depth, leaves: m.len() as u64, root: b58(m.root()) })
            .collect();
        trees.sort_by(|a, b| a.tree.cmp(&b.tree));
        Ok(trees)
    })
    .await
}

/// An operator's leaves, counted.
#[utoipa::path(get, path = "/v1/operators/{operator}", params(("operator" = String, Path, description = "The operator's key, base58")),
    responses((status = 200, body = OperatorView), (status = 400, body = super::views::ErrorView), (status = 404, body = super::views::ErrorView)))]
pub async fn operator(State(service): State<Arc<IndexerService>>, Path(operator): Path<String>) -> Result<Json<OperatorView>, ApiError> {
    let key = parse_key("operator", &operator)?;
    blocking(service, move |service| {
        let nodes = service.read().store().nodes_by_operator(&key)?;
        if nodes.is_empty() {
            return Err(ApiError::not_found("OperatorNotFound", format!("operator {key} registered no node")));
        }
        let mut view =
            OperatorView { operator: key.to_string(), leaves: nodes.len() as u64, by_status: StatusCounts::default(), verified_gpus: 0 };
        for n in &nodes {
            count(&mut view.by_status, n.record.status);
            if n.record.status == NodeStatus::Verified {
                view.verified_gpus += u64::from(n.record.gpu_count);
            }
        }
        Ok(view)
    })
    .await
}

/// Filters of the leaf listing; every one given must hold.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NodeFilter {
    /// Only this operator's leaves (base58).
    pub operator: Option<String>,
    /// Pending, Verified, Suspended or Retired (case-insensitive).
    pub status: Option<String>,
    /// Enterprise, MidMarket or Consumer (case-insensitive).
    pub tier: Option<String>,
    /// Catalogue id of the GPU model.
    pub model: Option<u16>,
    /// An H3 cell (hexadecimal): leaves whose cell lies inside it (it, or a finer cell
    /// within it).
    pub cell: Option<String>,
    /// The `next` of the previous page.
    pub after: Option<String>,
    /// Leaves per page, 1 to 1000 (100 if omitted).
    pub limit: Option<usize>,
}

/// The filters, parsed: each bad value is refused by name before anything is read.
struct Parsed {
    operator: Option<Pubkey>,
    status: Option<NodeStatus>,
    tier: Option<Tier>,
    model: Option<u16>,
    cell: Option<CellIndex>,
    after: Option<(Pubkey, u32)>,
    limit: usize,
}

fn by_name<T: Copy + std::fmt::Debug>(field: &str, value: &str, all: &[T]) -> Result<T, ApiError> {
    all.iter()
        .find(|v| format!("{v:?}").eq_ignore_ascii_case(value.trim()))
        .copied()
        .ok_or_else(|| ApiError::bad_request("InvalidParameter", format!("{field}: {value:?} is none of {all:?}")))
}

impl NodeFilter {
    fn parse(&self) -> Result<Parsed, ApiError> {
        let statuses = [NodeStatus::Pending, NodeStatus::Verified, NodeStatus::Suspended, NodeStatus::Retired];
        let cell = self
            .cell
            .as_deref()
            .map(|c| {
                u64::from_str_radix(c.trim(), 16)
                    .ok()
                    .and_then(|i| CellIndex::try_from(i).ok())
                    .ok_or_else(|| ApiError::bad_request("InvalidParameter", format!("cell: {c:?} is not an H3 cell")))
            })
            .transpose()?;
        let after = self
            .after
            .as_deref()
            .map(|a| {
                let bad = || ApiError::bad_request("InvalidParameter", format!("after: {a:?} is not a page cursor (tree:leaf)"));
                let (tree, leaf) = a.split_once(':').ok_or_else(bad)?;
                Ok::<_, ApiError>((tree.parse().map_err(|_| bad())?, leaf.parse().map_err(|_| bad())?))
            })
            .transpose()?;
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if limit == 0 || limit > MAX_PAGE {
            return Err(ApiError::bad_request("InvalidParameter", format!("limit: {limit} is not within 1..={MAX_PAGE}")));
        }
        Ok(Parsed {
            operator: self.operator.as_deref().map(|o| parse_key("operator", o)).transpose()?,
            status: self.status.as_deref().map(|s| by_name("status", s, &statuses)).transpose()?,
            tier: self.tier.as_deref().map(|t| by_name("tier", t, &Tier::ALL)).transpose()?,
            model: self.model,
            cell,
            after,
            limit,
        })
    }
}

impl Parsed {
    fn admits(&self, tree: &Pubkey, r: &NodeRecord) -> bool {
        self.after.is_none_or(|after| (*tree, r.leaf_index) > after)
            && self.operator.is_none_or(|o| r.operator == o)
            && self.status.is_none_or(|s| r.status == s)
            && self.tier.is_none_or(|t| r.tier == t)
            && self.model.is_none_or(|m| r.gpu_model == m)
            && self.cell.is_none_or(|c| CellIndex::try_from(r.region).ok().and_then(|own| own.parent(c.resolution())) == Some(c))
    }
}

/// Leaves, filtered and paged in (tree, leaf index) order.
#[utoipa::path(get, path = "/v1/nodes", params(NodeFilter),
    responses((status = 200, body = NodePage), (status = 400, body = super::views::ErrorView)))]
pub async fn nodes(State(service): State<Arc<IndexerService>>, Query(filter): Query<NodeFilter>) -> Result<Json<NodePage>, ApiError> {
    let parsed = filter.parse()?;
    blocking(service, move |service| {
        let indexer = service.read();
        // An operator's leaves come from the store's operator index; any other listing
        // walks the trees in key order from the cursor.
        let leaves: Vec<(Pubkey, NodeRecord)> = match parsed.operator {
            Some(operator) => indexer.store().nodes_by_operator(&operator)?.into_iter().map(|n| (n.tree, n.record)).collect(),
            None => {
                let mut mirrors: Vec<_> = indexer.mirrors().filter(|m| parsed.after.is_none_or(|(t, _)| m.tree >= t)).collect();
                mirrors.sort_by_key(|m| m.tree);
                let mut out = vec![];
                for mirror in mirrors {
                    let from = parsed.after.filter(|(t, _)| *t == mirror.tree).map_or(0, |(_, leaf)| leaf as usize + 1);
                    for r in mirror.records().iter().skip(from) {
                        if parsed.admits(&mirror.tree, r) {
                            out.push((mirror.tree, *r));
                            if out.len() > parsed.limit {
                                break;
                            }
                        }
                    }
                    if out.len() > parsed.limit {
                        break;
                    }
                }
                out
            }
        };
        let catalogue = service.catalogue();
        let mut page: Vec<(Pubkey, NodeRecord)> = leaves.into_iter().filter(|(t, r)| parsed.admits(t, r)).take(parsed.limit + 1).collect();
        let more = page.len() > parsed.limit;
        page.truncate(parsed.limit);
        let next = page.last().filter(|_| more).map(|(t, r)| format!("{t}:{}", r.leaf_index));
        Ok(NodePage { nodes: page.iter().map(|(t, r)| NodeView::new(t, r, catalogue.as_ref())).collect(), next })
    })
    .await
}
