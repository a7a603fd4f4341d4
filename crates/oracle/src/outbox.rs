//! What must outlive a crash: the slash a quorum agreed on, kept from before its
//! attestation is sent until the proposal lands (the lead), and each agreement a peer
//! gave in a review, until it co-signs (the peer). Both live in the oracle's redb file
//! beside its audit history (`AuditHistory`).

use crate::daemon::ReviewKind;
use crate::policy::Expectation;
use anchor_lang::prelude::borsh;
use anchor_lang::{AnchorDeserialize, AnchorSerialize};
use io_proto::prost::Message as _;
use io_proto::v1 as pb;
use io_registry::{NodeMetrics, Verdict, GPU_ID_LEN};
use io_staking::SlashReason;
use solana_sdk::pubkey::Pubkey;

/// A slash the lead's quorum agreed on, kept until its proposal lands.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingSlash {
    pub operator: Pubkey,
    pub reason: SlashReason,
    /// The amount first computed; a retry proposes no more (the peers agreed to it).
    pub amount: u64,
    pub evidence: [u8; 32],
    /// The peers that agreed: the same quorum co-signs the proposal.
    pub peers: Vec<Pubkey>,
    /// The quorum's signed measurements (each peer checks its own is among them).
    pub measurements: Vec<pb::Measurement>,
    /// The proposal id a transaction was sent with, once one was: a retry first checks
    /// whether that proposal landed, so a slash is never proposed twice.
    pub id: Option<u64>,
}

#[derive(AnchorSerialize, AnchorDeserialize)]
struct StoredSlash {
    operator: Pubkey,
    reason: SlashReason,
    amount: u64,
    evidence: [u8; 32],
    peers: Vec<Pubkey>,
    measurements: Vec<Vec<u8>>,
    id: Option<u64>,
}

impl PendingSlash {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let stored = StoredSlash {
            operator: self.operator,
            reason: self.reason,
            amount: self.amount,
            evidence: self.evidence,
            peers: self.peers.clone(),
            measurements: self.measurements.iter().map(|m| m.encode_to_vec()).collect(),
            id: self.id,
        };
        stored.try_to_vec().expect("borsh into a Vec")
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        let s = StoredSlash::try_from_slice(bytes).ok()?;
        let measurements = s.measurements.iter().map(|m| pb::Measurement::decode(m.as_slice()).ok()).collect::<Option<Vec<_>>>()?;
        Some(PendingSlash {
            operator: s.operator,
            reason: s.reason,
            amount: s.amount,
            evidence: s.evidence,
            peers: s.peers,
            measurements,
            id: s.id,
        })
    }
}

#[derive(AnchorSerialize, AnchorDeserialize)]
struct StoredAgreement {
    me: Pubkey,
    node: Pubkey,
    operator: Pubkey,
    epoch: u64,
    verdict: Verdict,
    metrics: NodeMetrics,
    slash: Option<(SlashReason, u64)>,
    measurement: Option<Vec<u8>>,
    leaf: Option<(Pubkey, u32)>,
    record_hash: [u8; 32],
    gpu_ids: Vec<[u8; GPU_ID_LEN]>,
}

pub(crate) fn encode_agreement(e: &Expectation) -> Vec<u8> {
    let stored = StoredAgreement {
        me: e.me,
        node: e.node,
        operator: e.operator,
        epoch: e.epoch,
        verdict: e.verdict,
        metrics: e.metrics,
        slash: e.slash,
        measurement: e.measurement.as_ref().map(|m| m.encode_to_vec()),
        leaf: e.leaf,
        record_hash: e.record_hash,
        gpu_ids: e.gpu_ids.clone(),
    };
    stored.try_to_vec().expect("borsh into a Vec")
}

pub(crate) fn decode_agreement(bytes: &[u8]) -> Option<Expectation> {
    let s = StoredAgreement::try_from_slice(bytes).ok()?;
    let measurement = match s.measurement {
        Some(m) => Some(pb::Measurement::decode(m.as_slice()).ok()?),
        None => None,
    };
    Some(Expectation {
        me: s.me,
        node: s.node,
        operator: s.operator,
        epoch: s.epoch,
        verdict: s.verdict,
        metrics: s.metrics,
        slash: s.slash,
        measurement,
        leaf: s.leaf,
        record_hash: s.record_hash,
        gpu_ids: s.gpu_ids,
    })
}

/// Key of a node epoch's agreement of one kind.
pub(crate) fn agreement_key(node: &Pubkey, epoch: u64, kind: ReviewKind) -> [u8; 41] {
    let mut k = [0u8; 41];
    k[..32].copy_from_slice(node.as_ref());
    k[32..40].copy_from_slice(&epoch.to_be_bytes());
    k[40] = kind as u8;
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_slashes_and_agreements_round_trip() {
        let key = solana_sdk::signature::Keypair::new();
        let node = Pubkey::new_unique();
        let metrics = NodeMetrics { verified_centi_tflops: 5, rtt_us: 40, bandwidth_mbps: 900, packet_loss_bps: 2 };
        let measurement = crate::policy::sign_measurement(&key, &node, 3, ReviewKind::Audit, false, &metrics);
        let pending = PendingSlash {
            operator: Pubkey::new_unique(),
            reason: SlashReason::SpoofedHardware,
            amount: 10_000,
            evidence: [4; 32],
            peers: vec![Pubkey::new_unique()],
            measurements: vec![measurement.clone()],
            id: Some(7),
        };
        assert_eq!(PendingSlash::decode(&pending.encode()), Some(pending));
        let agreement = Expectation {
            me: Pubkey::new_unique(),
            node,
            operator: Pubkey::new_unique(),
            epoch: 3,
            verdict: Verdict::Suspended,
            metrics,
            slash: Some((SlashReason::FailedAudit, 99)),
            measurement: Some(measurement),
            leaf: Some((Pubkey::new_unique(), 12)),
            record_hash: [5; 32],
            gpu_ids: vec![[1; GPU_ID_LEN], [2; GPU_ID_LEN]],
        };
        let back = decode_agreement(&encode_agreement(&agreement)).unwrap();
        assert_eq!(format!("{back:?}"), format!("{agreement:?}"));
        assert!(PendingSlash::decode(&[1, 2, 3]).is_none() && decode_agreement(&[9]).is_none());
    }
}
