//! Suspensions a lead brings to the quorum without an audit: a verified node that stopped
//! answering its heartbeats, and a live leaf whose node key was registered again.

use crate::daemon::{to_proto, OracleDaemon, Peer, ReviewKind};
use crate::metrics::OracleMetrics;
use crate::view::ChainView;
use io_proto::v1 as pb;
use io_registry::{NodeMetrics, NodeRecord, NodeStatus, Verdict};
use solana_sdk::pubkey::Pubkey;

impl OracleDaemon {
    pub(crate) async fn lead_liveness_suspension(&self, view: &ChainView, record: NodeRecord, endpoint: &str) -> anyhow::Result<()> {
        let (node, epoch) = (record.node_id, view.epoch);
        let review = pb::ReviewRequest {
            node: node.to_string(),
            epoch,
            kind: ReviewKind::Liveness.to_proto(),
            verified: false,
            metrics: Some(to_proto(&record.metrics)),
            worker_endpoint: endpoint.to_string(),
            findings: format!("no heartbeat for {} intervals", self.missed_beats(&node).unwrap_or(0)),
            auth: None,
            tree: String::new(),
            leaf_index: 0,
        };
        let quorum = self.gather_quorum(view, review).await?;
        // A suspension without an audit keeps the record's metrics: every vote names them.
        let votes: Vec<(Peer, NodeMetrics)> = quorum.into_iter().map(|(p, _)| (p, record.metrics)).collect();
        let leaf = view.registry.proven_leaf(&node)?;
        let subject = io_sdk::registry::verdict_subject(&leaf, epoch, Verdict::Suspended, false, vec![]);
        self.commit_verdict(&leaf, subject, record.metrics, &votes, ReviewKind::Liveness).await?;
        OracleMetrics::inc(&self.shared.metrics.liveness_suspensions);
        Ok(())
    }

    /// Has a quorum suspend `record`, a live leaf at `tree` whose node key's newest leaf is
    /// elsewhere: no audit, the chain is the evidence (peers check it in their own view).
    pub(crate) async fn lead_duplicate_suspension(&self, view: &ChainView, tree: Pubkey, record: NodeRecord) -> anyhow::Result<()> {
        let (node, epoch) = (record.node_id, view.epoch);
        let review = pb::ReviewRequest {
            node: node.to_string(),
            epoch,
            kind: ReviewKind::Duplicate.to_proto(),
            verified: false,
            metrics: Some(to_proto(&record.metrics)),
            worker_endpoint: String::new(),
            findings: "the node key was registered again; this leaf is not its newest".into(),
            auth: None,
            tree: tree.to_string(),
            leaf_index: record.leaf_index,
        };
        let quorum = self.gather_quorum(view, review).await?;
        let votes: Vec<(Peer, NodeMetrics)> = quorum.into_iter().map(|(p, _)| (p, record.metrics)).collect();
        let leaf = view.registry.proven_leaf_at(&tree, record.leaf_index)?;
        let subject = io_sdk::registry::verdict_subject(&leaf, epoch, Verdict::Suspended, false, vec![]);
        self.commit_verdict(&leaf, subject, record.metrics, &votes, ReviewKind::Duplicate).await?;
        OracleMetrics::inc(&self.shared.metrics.duplicate_suspensions);
        Ok(())
    }
}

/// Whether the registry takes an attestation of `record` in `epoch`: a later epoch than
/// its last, or the one same-epoch suspension of a node verified in it.
pub(crate) fn attestable_now(record: &NodeRecord, epoch: u64) -> bool {
    record.last_attested_epoch < epoch || (record.last_attested_epoch == epoch && record.status == NodeStatus::Verified)
}
