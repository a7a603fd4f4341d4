//! The daemon's dealings with the other oracles of the set: who they are, what a review
//! is about, asking them in rank order until a quorum agrees, and the measurement's wire
//! form.

use super::{unix_now, OracleDaemon};
use crate::metrics::OracleMetrics;
use crate::peer_auth;
use crate::view::ChainView;
use anyhow::{bail, Context};
use io_proto::v1::{self as pb, oracle_client::OracleClient};
use io_registry::NodeMetrics;
use solana_sdk::pubkey::Pubkey;
use std::time::Duration;

/// Another member of the oracle set and where its daemon listens.
#[derive(Clone, Debug)]
pub struct Peer {
    pub key: Pubkey,
    pub endpoint: String,
}

/// Which verdict a review or co-signature is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReviewKind {
    Audit,
    Liveness,
    /// A shadowed leaf of a node key registered again: suspended without an audit.
    Duplicate,
}

impl ReviewKind {
    pub fn to_proto(self) -> i32 {
        match self {
            ReviewKind::Audit => pb::ReviewKind::Audit as i32,
            ReviewKind::Liveness => pb::ReviewKind::Liveness as i32,
            ReviewKind::Duplicate => pb::ReviewKind::Duplicate as i32,
        }
    }

    pub fn from_proto(kind: i32) -> Option<Self> {
        match pb::ReviewKind::try_from(kind).ok()? {
            pb::ReviewKind::Audit => Some(ReviewKind::Audit),
            pb::ReviewKind::Liveness => Some(ReviewKind::Liveness),
            pb::ReviewKind::Duplicate => Some(ReviewKind::Duplicate),
        }
    }
}

impl OracleDaemon {
    /// Asks peers of the on-chain oracle set, in rank order, until threshold - 1 agree;
    /// each agreeing peer's own signed measurement comes with it.
    pub(crate) async fn gather_quorum(
        &self,
        view: &ChainView,
        review: pb::ReviewRequest,
    ) -> anyhow::Result<Vec<(Peer, Option<pb::Measurement>)>> {
        let needed = usize::from(view.config.threshold).saturating_sub(1);
        let node: Pubkey = review.node.parse()?;
        let mut candidates: Vec<&Peer> =
            self.shared.peers.iter().filter(|p| view.config.oracles.contains(&p.key) && p.key != self.key()).collect();
        let operator = view.record(&node).map_or(node, |r| r.operator);
        candidates.sort_by_key(|p| view.lead_rank(&p.key, &operator));
        let mut agreed = vec![];
        let mut refusals = vec![];
        for peer in candidates {
            if agreed.len() >= needed {
                break;
            }
            match self.ask_review(peer, review.clone()).await {
                Ok(reply) if reply.agreed => agreed.push((peer.clone(), reply.measurement)),
                Ok(reply) => refusals.push(format!("{}: {}", peer.key, reply.reason)),
                Err(e) => refusals.push(format!("{}: {e:#}", peer.key)),
            }
        }
        if agreed.len() < needed {
            OracleMetrics::inc(&self.shared.metrics.quorum_missed);
            bail!("{} of {needed} peers agreed ({})", agreed.len(), refusals.join("; "));
        }
        Ok(agreed)
    }

    pub(crate) async fn peer_client(&self, peer: &Peer) -> anyhow::Result<OracleClient<tonic::transport::Channel>> {
        let channel = tonic::transport::Endpoint::from_shared(peer.endpoint.clone())?
            .connect_timeout(Duration::from_secs(5))
            .timeout(self.shared.settings.peer_timeout)
            .connect()
            .await
            .with_context(|| format!("peer at {}", peer.endpoint))?;
        Ok(OracleClient::new(channel))
    }

    async fn ask_review(&self, peer: &Peer, mut review: pb::ReviewRequest) -> anyhow::Result<pb::ReviewReply> {
        peer_auth::sign(&mut review, &self.shared.key, unix_now(), peer_auth::LIFETIME_SECS);
        Ok(self.peer_client(peer).await?.review(review).await?.into_inner())
    }
}

pub(crate) fn to_proto(m: &NodeMetrics) -> pb::Metrics {
    pb::Metrics {
        verified_centi_tflops: m.verified_centi_tflops,
        rtt_us: m.rtt_us,
        bandwidth_mbps: m.bandwidth_mbps,
        packet_loss_bps: u32::from(m.packet_loss_bps),
    }
}

pub(crate) fn from_proto(m: &pb::Metrics) -> Option<NodeMetrics> {
    Some(NodeMetrics {
        verified_centi_tflops: m.verified_centi_tflops,
        rtt_us: m.rtt_us,
        bandwidth_mbps: m.bandwidth_mbps,
        packet_loss_bps: u16::try_from(m.packet_loss_bps).ok()?,
    })
}
