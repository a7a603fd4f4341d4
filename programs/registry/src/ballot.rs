//! Ballots: where the oracles' verdicts on one leaf gather.
//!
//! Each oracle of a quorum sends its own verdict (`submit_verdict`) with its own
//! measurement; they must agree on what they found (`VerdictSubject`). Once a threshold of
//! the current oracle set has voted, anyone may send the attestation (`attest_node`),
//! which applies the subject with the median of the votes' metrics and closes the ballot.
//! Splitting it this way keeps every signature out of the transaction that carries the
//! Merkle proof, so the tree's canopy can be shallow (cheap) and the quorum large.

use crate::constants::*;
use crate::errors::RegistryError;
use crate::state::{NodeMetrics, RegistryConfig};
use anchor_lang::prelude::*;

/// The oracles' finding about a node.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Passed all four stages; the metrics are the measured ones.
    Verified,
    /// Failed an audit or missed its heartbeats; the metrics are what was measured.
    Suspended,
}

/// What every vote of a ballot must agree on.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct VerdictSubject {
    /// Attestation epoch of the audit: later than the node's last, not in the future.
    pub epoch: u64,
    /// Leaf hash of the record the oracles audited (it binds the node, its position and
    /// everything it claimed).
    pub record_hash: [u8; 32],
    pub verdict: Verdict,
    /// The quorum found misconduct (it proposes a slash beside): the node's registration
    /// deposit is forfeited. Only with a suspension.
    pub forfeit_deposit: bool,
    /// Identities of the GPUs the audit proved, ascending: every claimed GPU for a
    /// verification (their set hash must be the record's), none for a suspension. They
    /// are logged with the attestation, so every reader of the chain knows which GPUs
    /// count, and where.
    pub gpu_ids: Vec<[u8; GPU_ID_LEN]>,
}

impl VerdictSubject {
    /// The rules a subject obeys on its own, whoever votes it.
    pub fn check(&self, metrics: &NodeMetrics, now_epoch: u64) -> Result<()> {
        require!(self.epoch <= now_epoch, RegistryError::FutureAttestationEpoch);
        require!(metrics.packet_loss_bps <= MAX_PACKET_LOSS_BPS, RegistryError::InvalidMetrics);
        require!(!self.forfeit_deposit || self.verdict == Verdict::Suspended, RegistryError::ForfeitWithoutSuspension);
        require!(self.gpu_ids.len() <= usize::from(MAX_GPUS_PER_NODE), RegistryError::InvalidGpuIds);
        require!(self.gpu_ids.windows(2).all(|pair| pair[0] < pair[1]), RegistryError::InvalidGpuIds);
        match self.verdict {
            Verdict::Verified => {
                require!(metrics.verified_centi_tflops > 0, RegistryError::InvalidMetrics);
                require!(!self.gpu_ids.is_empty(), RegistryError::InvalidGpuIds);
            }
            Verdict::Suspended => require!(self.gpu_ids.is_empty(), RegistryError::InvalidGpuIds),
        }
        Ok(())
    }
}

/// The quorum's metrics: each figure the median of the oracles' own. With an even count
/// the middle pair's figure that errs against the node: the lower speed and bandwidth,
/// the higher RTT and loss (no oracle's optimism decides a figure alone).
pub fn quorum_median(all: &[NodeMetrics]) -> NodeMetrics {
    let field = |f: fn(&NodeMetrics) -> u32, low: bool| {
        let mut values: Vec<u32> = all.iter().map(f).collect();
        io_math::median(&mut values, low).unwrap_or_default()
    };
    NodeMetrics {
        verified_centi_tflops: field(|m| m.verified_centi_tflops, true),
        rtt_us: field(|m| m.rtt_us, false),
        bandwidth_mbps: field(|m| m.bandwidth_mbps, true),
        packet_loss_bps: u16::try_from(field(|m| u32::from(m.packet_loss_bps), false)).unwrap_or(MAX_PACKET_LOSS_BPS),
    }
}

/// One oracle's vote: who, and what it measured.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleVote {
    pub oracle: Pubkey,
    pub metrics: NodeMetrics,
}

/// A leaf's ballot, PDA `[BALLOT_SEED, merkle_tree, leaf_index]`. It lives from the first
/// vote of an audit to its attestation, which returns the rent to whoever paid it. A vote
/// for a later epoch starts it afresh, so a ballot that never reached its quorum does not
/// block the next audit.
#[account]
#[derive(Debug)]
pub struct Ballot {
    pub merkle_tree: Pubkey,
    pub leaf_index: u32,
    pub subject: VerdictSubject,
    pub votes: Vec<OracleVote>,
    /// Paid the rent; gets it back when the attestation closes the ballot.
    pub rent_payer: Pubkey,
    pub bump: u8,
}

impl Ballot {
    /// Account size with room for the largest subject and quorum.
    pub const SPACE: usize = 8 // discriminator
        + 32 + 4 // tree, leaf index
        + 8 + 32 + 1 + 1 + 4 + GPU_ID_LEN * MAX_GPUS_PER_NODE as usize // subject
        + 4 + MAX_QUORUM as usize * (32 + NodeMetrics::INIT_SPACE) // votes
        + 32 + 1; // rent payer, bump

    /// Adds `oracle`'s vote for `subject`. A vote for a later epoch than the ballot's
    /// starts it afresh; one for the ballot's epoch must name the same subject.
    pub fn cast(&mut self, oracle: Pubkey, subject: VerdictSubject, metrics: NodeMetrics) -> Result<()> {
        if self.votes.is_empty() || subject.epoch > self.subject.epoch {
            self.subject = subject;
            self.votes.clear();
        } else {
            require!(subject.epoch == self.subject.epoch, RegistryError::StaleAttestationEpoch);
            require!(subject == self.subject, RegistryError::BallotMismatch);
        }
        require!(self.votes.iter().all(|v| v.oracle != oracle), RegistryError::AlreadyVoted);
        require!(self.votes.len() < usize::from(MAX_QUORUM), RegistryError::BallotFull);
        self.votes.push(OracleVote { oracle, metrics });
        Ok(())
    }

    /// The oracles that voted `subject` here (none if the ballot holds another subject).
    pub fn votes_for(&self, subject: &VerdictSubject) -> Vec<Pubkey> {
        if self.subject == *subject {
            self.votes.iter().map(|v| v.oracle).collect()
        } else {
            vec![]
        }
    }

    /// The voters still in the oracle set, and the median of their metrics
    /// ([`quorum_median`]), once they make the threshold.
    pub fn tally(&self, config: &RegistryConfig) -> Result<(Vec<Pubkey>, NodeMetrics)> {
        let counted: Vec<&OracleVote> = self.votes.iter().filter(|v| config.oracle_index(&v.oracle).is_some()).collect();
        require!(!counted.is_empty() && counted.len() >= usize::from(config.threshold), RegistryError::InsufficientQuorum);
        let all: Vec<NodeMetrics> = counted.iter().map(|v| v.metrics).collect();
        let metrics = quorum_median(&all);
        Ok((counted.iter().map(|v| v.oracle).collect(), metrics))
    }
}
