//! What a co-signing oracle accepts: when two oracles' measurements of a node agree, what
//! a failed audit's findings call for, and which transaction messages it will sign.

use crate::audit::Finding;
use anchor_lang::{AnchorDeserialize, Discriminator};
use io_poc::handshake::HandshakeError;
use io_registry::{NodeMetrics, Verdict};
use io_staking::SlashReason;
use crate::daemon::{from_proto, to_proto, ReviewKind};
use io_proto::v1 as pb;
use solana_sdk::message::Message;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};

/// How far a peer's own measurement may be from the lead's for it to co-sign the lead's
/// metrics. Speed is a property of the node; RTT and bandwidth also depend on the path
/// from each oracle, hence the wider bounds.
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    /// Largest speed difference, in basis points of the larger of the two.
    pub tflops_bps: u16,
    /// RTTs agree when the larger is at most `rtt_factor` times the smaller plus the slack.
    pub rtt_factor: u32,
    pub rtt_slack_us: u32,
    /// Bandwidths agree when the larger is at most this many times the smaller.
    pub bandwidth_factor: u32,
    /// Largest loss difference, basis points.
    pub loss_bps: u16,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance { tflops_bps: 3_000, rtt_factor: 2, rtt_slack_us: 20_000, bandwidth_factor: 3, loss_bps: 500 }
    }
}

/// Whether the lead's metrics are within tolerance of this oracle's own.
pub fn metrics_agree(lead: &NodeMetrics, own: &NodeMetrics, t: &Tolerance) -> Result<(), String> {
    let (a, b) = (u64::from(lead.verified_centi_tflops), u64::from(own.verified_centi_tflops));
    if a.abs_diff(b) * 10_000 > a.max(b) * u64::from(t.tflops_bps) {
        return Err(format!("speed {a} vs my {b} centi-TFLOPS"));
    }
    let (a, b) = (u64::from(lead.rtt_us), u64::from(own.rtt_us));
    if a.max(b) > a.min(b) * u64::from(t.rtt_factor) + u64::from(t.rtt_slack_us) {
        return Err(format!("RTT {a} vs my {b} us"));
    }
    let (a, b) = (u64::from(lead.bandwidth_mbps), u64::from(own.bandwidth_mbps));
    if a.max(b) > a.min(b) * u64::from(t.bandwidth_factor) {
        return Err(format!("bandwidth {a} vs my {b} Mbps"));
    }
    if lead.packet_loss_bps.abs_diff(own.packet_loss_bps) > t.loss_bps {
        return Err(format!("loss {} vs my {} bps", lead.packet_loss_bps, own.packet_loss_bps));
    }
    Ok(())
}

/// Below this share of its model's expected speed a GPU is taken to be other hardware
/// than it claims, and slashed. Between this and the share an audit requires it is only
/// suspended: a busy host or a GPU throttled by heat can explain a shortfall that size,
/// a tenfold one it cannot.
pub const SPOOF_SPEED_SHARE_BPS: u64 = 1_000;

/// The slash a failed audit calls for, if any. Spoofed hardware (UUIDs not the record's,
/// a UUID count not the record's GPU count, GPUs that together compute less than half of
/// what the claimed count must, a GPU far slower than its model) and a faked stress test
/// (a wrong block, a wrong product, a result that is not the committed one, a replayed
/// handshake) are misconduct; an unreachable worker, a bad network, a broken message or
/// a moderately slow GPU is grounds for suspension only.
pub fn slash_reason(findings: &[Finding]) -> Option<SlashReason> {
    findings.iter().find_map(|f| match f {
        Finding::Handshake(HandshakeError::UuidMismatch) | Finding::GpuCountMismatch { .. } | Finding::CountNotProven { .. } => {
            Some(SlashReason::SpoofedHardware)
        }
        Finding::TooSlow { measured_centi_tflops, expected_centi_tflops, .. }
            if u64::from(*measured_centi_tflops) * 10_000 < u64::from(*expected_centi_tflops) * SPOOF_SPEED_SHARE_BPS =>
        {
            Some(SlashReason::SpoofedHardware)
        }
        Finding::WrongBlock { .. } | Finding::WrongProduct(_) | Finding::CommitmentMismatch | Finding::Handshake(HandshakeError::Replayed) => {
            Some(SlashReason::FailedAudit)
        }
        _ => None,
    })
}

const MEASUREMENT_DOMAIN: &[u8] = b"io-oracle measurement v1\0";

/// The bytes an oracle signs for its own measurement of `node` in `epoch`.
pub fn measurement_bytes(node: &Pubkey, epoch: u64, kind: ReviewKind, verified: bool, m: &NodeMetrics) -> Vec<u8> {
    let mut bytes = MEASUREMENT_DOMAIN.to_vec();
    bytes.extend_from_slice(node.as_ref());
    bytes.extend_from_slice(&epoch.to_le_bytes());
    bytes.push(kind as u8);
    bytes.push(u8::from(verified));
    bytes.extend_from_slice(&m.verified_centi_tflops.to_le_bytes());
    bytes.extend_from_slice(&m.rtt_us.to_le_bytes());
    bytes.extend_from_slice(&m.bandwidth_mbps.to_le_bytes());
    bytes.extend_from_slice(&m.packet_loss_bps.to_le_bytes());
    bytes
}

/// This oracle's measurement, signed.
pub fn sign_measurement(key: &Keypair, node: &Pubkey, epoch: u64, kind: ReviewKind, verified: bool, m: &NodeMetrics) -> pb::Measurement {
    let signature = key.sign_message(&measurement_bytes(node, epoch, kind, verified, m));
    pb::Measurement { oracle: key.pubkey().to_string(), verified, metrics: Some(to_proto(m)), signature: signature.as_ref().to_vec() }
}

/// A measurement's oracle, verdict and metrics, if its signature holds for this node epoch.
pub fn open_measurement(m: &pb::Measurement, node: &Pubkey, epoch: u64, kind: ReviewKind) -> Result<(Pubkey, bool, NodeMetrics), String> {
    let oracle: Pubkey = m.oracle.parse().map_err(|_| "a measurement's oracle is not a base58 key".to_string())?;
    let metrics = m.metrics.as_ref().and_then(from_proto).ok_or_else(|| format!("{oracle}'s measurement has no valid metrics"))?;
    let signature = Signature::try_from(m.signature.as_slice()).map_err(|_| format!("{oracle}'s measurement signature is not 64 bytes"))?;
    if !signature.verify(oracle.as_ref(), &measurement_bytes(node, epoch, kind, m.verified, &metrics)) {
        return Err(format!("{oracle}'s measurement is not signed by it for this node epoch"));
    }
    Ok((oracle, m.verified, metrics))
}

/// The quorum's metrics: each figure the median of the oracles' own. With an even count
/// the middle pair's more conservative figure: the lower speed and bandwidth, the higher
/// RTT and loss (no oracle's optimism decides a figure alone).
pub fn quorum_median(all: &[NodeMetrics]) -> NodeMetrics {
    fn middle<T: Ord + Copy + Default>(mut v: Vec<T>, low: bool) -> T {
        v.sort_unstable();
        match v.len() {
            0 => T::default(),
            n if n % 2 == 1 => v[n / 2],
            n => v[if low { n / 2 - 1 } else { n / 2 }],
        }
    }
    NodeMetrics {
        verified_centi_tflops: middle(all.iter().map(|m| m.verified_centi_tflops).collect(), true),
        rtt_us: middle(all.iter().map(|m| m.rtt_us).collect(), false),
        bandwidth_mbps: middle(all.iter().map(|m| m.bandwidth_mbps).collect(), true),
        packet_loss_bps: middle(all.iter().map(|m| m.packet_loss_bps).collect(), false),
    }
}

/// What this oracle agreed to, against which a message to co-sign is checked.
#[derive(Clone, Debug)]
pub struct Expectation {
    pub me: Pubkey,
    pub node: Pubkey,
    pub operator: Pubkey,
    pub epoch: u64,
    pub verdict: Verdict,
    pub metrics: NodeMetrics,
    /// The slash this oracle's own audit calls for, and the most it would take.
    pub slash: Option<(SlashReason, u64)>,
    /// This oracle's own signed measurement, for an audit: the attested metrics must be
    /// the median of the quorum's measurements, this one among them. `None` for a
    /// liveness suspension, which keeps the record's metrics.
    pub measurement: Option<pb::Measurement>,
    /// The leaf an attestation must be about (tree, leaf index): the node key's newest
    /// leaf in this oracle's view, or the shadowed leaf of a duplicate suspension.
    pub leaf: Option<(Pubkey, u32)>,
}

/// Checks a transaction message before signing it: this oracle is a required signer,
/// and every instruction is one it agreed to (the attestation with exactly the agreed
/// verdict and metrics, a weight refresh of the node's operator, the slash its own audit
/// calls for, no larger than the policy's). Anything else is refused.
pub fn check_message(message: &Message, expect: &Expectation) -> Result<(), String> {
    let signers = usize::from(message.header.num_required_signatures);
    if !message.account_keys.iter().take(signers).any(|k| *k == expect.me) {
        return Err("this oracle is not a signer of the message".into());
    }
    if message.instructions.is_empty() {
        return Err("the message has no instruction".into());
    }
    let mut attests = 0;
    let mut slashes = 0;
    for ix in &message.instructions {
        let program = message.account_keys.get(usize::from(ix.program_id_index)).ok_or("bad program index")?;
        let data = ix.data.as_slice();
        let (head, body) = data.split_at(data.len().min(8));
        let account = |i: usize| ix.accounts.get(i).and_then(|a| message.account_keys.get(usize::from(*a))).copied();
        if *program == io_registry::ID && head == io_registry::instruction::AttestNode::DISCRIMINATOR {
            let args = io_registry::instruction::AttestNode::try_from_slice(body).map_err(|e| format!("attest_node args: {e}"))?.args;
            if args.current.node_id != expect.node || args.current.operator != expect.operator {
                return Err("the attestation is for another node".into());
            }
            if let Some((tree, index)) = expect.leaf {
                if args.current.leaf_index != index || account(3) != Some(tree) {
                    return Err(format!("the attestation is about leaf {} of another tree or index, I agreed to leaf {index} of {tree}", args.current.leaf_index));
                }
            }
            if args.forfeit_deposit != expect.slash.is_some() {
                return Err(format!(
                    "the attestation {} the deposit; my audit calls for {}",
                    if args.forfeit_deposit { "forfeits" } else { "keeps" },
                    if expect.slash.is_some() { "a slash" } else { "no slash" }
                ));
            }
            if args.epoch != expect.epoch || args.verdict != expect.verdict || args.metrics != expect.metrics {
                return Err(format!(
                    "the attestation says epoch {} {:?} {:?}, I agreed to epoch {} {:?} {:?}",
                    args.epoch, args.verdict, args.metrics, expect.epoch, expect.verdict, expect.metrics
                ));
            }
            attests += 1;
        } else if *program == io_staking::ID && head == io_staking::instruction::RefreshWeight::DISCRIMINATOR {
            // Accounts: config, stake, operator_stats; the stake PDA names the operator.
            if account(1) != Some(io_sdk::pda::operator_stake(&expect.operator)) {
                return Err("the weight refresh is for another operator".into());
            }
        } else if *program == io_staking::ID && head == io_staking::instruction::ProposeSlash::DISCRIMINATOR {
            let args = io_staking::instruction::ProposeSlash::try_from_slice(body).map_err(|e| format!("propose_slash args: {e}"))?.args;
            let Some((reason, most)) = expect.slash else {
                return Err("my audit calls for no slash".into());
            };
            if args.operator != expect.operator || args.reason != reason || args.amount > most {
                return Err(format!(
                    "the slash ({:?}, {} base units of {}) is not the one my audit calls for ({reason:?}, at most {most})",
                    args.reason, args.amount, args.operator
                ));
            }
            slashes += 1;
        } else {
            return Err(format!("instruction for {program} is not one an oracle co-signs"));
        }
    }
    if attests + slashes != 1 {
        return Err("a message must hold exactly one attestation or one slash".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(tflops: u32, rtt: u32, bw: u32, loss: u16) -> NodeMetrics {
        NodeMetrics { verified_centi_tflops: tflops, rtt_us: rtt, bandwidth_mbps: bw, packet_loss_bps: loss }
    }

    #[test]
    fn metrics_within_tolerance_agree_and_outside_do_not() {
        let t = Tolerance::default();
        let own = m(1_000, 10_000, 1_000, 100);
        assert!(metrics_agree(&m(1_000, 10_000, 1_000, 100), &own, &t).is_ok());
        assert!(metrics_agree(&m(1_400, 39_000, 2_900, 550), &own, &t).is_ok());
        assert!(metrics_agree(&m(1_500, 10_000, 1_000, 100), &own, &t).unwrap_err().contains("speed"));
        assert!(metrics_agree(&m(1_000, 41_000, 1_000, 100), &own, &t).unwrap_err().contains("RTT"));
        assert!(metrics_agree(&m(1_000, 10_000, 3_100, 100), &own, &t).unwrap_err().contains("bandwidth"));
        assert!(metrics_agree(&m(1_000, 10_000, 1_000, 700), &own, &t).unwrap_err().contains("loss"));
    }

    fn leaf(node: Pubkey, operator: Pubkey) -> io_sdk::registry::ProvenLeaf {
        use io_registry::{CudaVersion, NodeRecord, NodeStatus, Tier, NODE_RECORD_VERSION};
        let record = NodeRecord {
            version: NODE_RECORD_VERSION,
            node_id: node,
            operator,
            leaf_index: 3,
            gpu_model: 0,
            gpu_count: 2,
            tier: Tier::Consumer,
            cuda: CudaVersion { major: 12, minor: 4 },
            region: 0,
            gpu_uuids_hash: [1; 32],
            status: NodeStatus::Pending,
            metrics: NodeMetrics::default(),
            last_attested_epoch: 0,
            score: 0,
            registered_at: 0,
            deposit_lamports: 0,
            lease_end_epoch: 0,
        };
        io_sdk::registry::ProvenLeaf { merkle_tree: Pubkey::new_unique(), root: [2; 32], record, proof: vec![[3; 32]; 6] }
    }

    /// A message of `instructions` with `me` and one other oracle signing, paid by a third key.
    fn message(instructions: &[solana_sdk::instruction::Instruction]) -> Message {
        Message::new(instructions, Some(&Pubkey::new_unique()))
    }

    #[test]
    fn a_peer_signs_only_the_attestation_it_agreed_to() {
        let (me, other, node, operator) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
        let agreed = m(1_000, 9_000, 4_000, 0);
        let expect = Expectation { me, node, operator, epoch: 7, verdict: Verdict::Verified, metrics: agreed, slash: None, measurement: None, leaf: None };
        let attest = |signers: &[Pubkey], epoch, verdict, metrics| io_sdk::registry::attest_node(&leaf(node, operator), signers, epoch, verdict, metrics);
        let refresh = io_sdk::staking::refresh_weight(&operator);

        assert_eq!(check_message(&message(&[attest(&[other, me], 7, Verdict::Verified, agreed), refresh.clone()]), &expect), Ok(()));
        // Not a signer, other metrics, another epoch or verdict, another operator's refresh.
        assert!(check_message(&message(&[attest(&[other], 7, Verdict::Verified, agreed)]), &expect).unwrap_err().contains("not a signer"));
        assert!(check_message(&message(&[attest(&[me, other], 7, Verdict::Verified, m(2_000, 9_000, 4_000, 0))]), &expect).is_err());
        assert!(check_message(&message(&[attest(&[me, other], 8, Verdict::Verified, agreed)]), &expect).is_err());
        assert!(check_message(&message(&[attest(&[me, other], 7, Verdict::Suspended, agreed)]), &expect).is_err());
        let foreign_refresh = io_sdk::staking::refresh_weight(&Pubkey::new_unique());
        assert!(check_message(&message(&[attest(&[me, other], 7, Verdict::Verified, agreed), foreign_refresh]), &expect).unwrap_err().contains("another operator"));
        // Something smuggled in beside it, or two attestations.
        let transfer = solana_sdk::system_instruction::transfer(&me, &other, 1);
        assert!(check_message(&message(&[attest(&[me, other], 7, Verdict::Verified, agreed), transfer]), &expect).unwrap_err().contains("not one an oracle co-signs"));
        // Another leaf of the same node key (a shadowed registration) is refused.
        let at = leaf(node, operator);
        let pinned = Expectation { leaf: Some((at.merkle_tree, at.record.leaf_index + 1)), ..expect.clone() };
        assert!(check_message(&message(&[attest(&[other, me], 7, Verdict::Verified, agreed)]), &pinned).unwrap_err().contains("another tree or index"));
        let right = Expectation { leaf: Some((at.merkle_tree, at.record.leaf_index)), ..expect.clone() };
        let at_leaf = io_sdk::registry::attest_node(&at, &[other, me], 7, Verdict::Verified, agreed);
        assert_eq!(check_message(&message(&[at_leaf]), &right), Ok(()));
        let twice = attest(&[me, other], 7, Verdict::Verified, agreed);
        assert!(check_message(&message(&[twice.clone(), twice]), &expect).unwrap_err().contains("exactly one"));
        // A slash the audit did not call for, or a deposit forfeited without one.
        let slash = io_sdk::staking::propose_slash(&other, &operator, 0, 5, SlashReason::FailedAudit, [0; 32], &[me, other]);
        assert!(check_message(&message(&[slash]), &expect).unwrap_err().contains("no slash"));
        let forfeiting = io_sdk::registry::attest_node_forfeiting(&leaf(node, operator), &[me, other], 7, agreed);
        assert!(check_message(&message(&[forfeiting]), &expect).unwrap_err().contains("forfeits the deposit"));
    }

    #[test]
    fn a_peer_signs_a_slash_no_larger_than_its_own_policy() {
        let (me, other, node, operator) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
        let expect = Expectation {
            me,
            node,
            operator,
            epoch: 7,
            verdict: Verdict::Suspended,
            metrics: NodeMetrics::default(),
            slash: Some((SlashReason::SpoofedHardware, 1_000)),
            measurement: None,
            leaf: None,
        };
        let slash = |amount, reason| io_sdk::staking::propose_slash(&other, &operator, 4, amount, reason, [9; 32], &[other, me]);
        assert_eq!(check_message(&message(&[slash(1_000, SlashReason::SpoofedHardware)]), &expect), Ok(()));
        assert!(check_message(&message(&[slash(1_001, SlashReason::SpoofedHardware)]), &expect).is_err());
        assert!(check_message(&message(&[slash(10, SlashReason::Downtime)]), &expect).is_err());
        let elsewhere = io_sdk::staking::propose_slash(&other, &Pubkey::new_unique(), 4, 10, SlashReason::SpoofedHardware, [9; 32], &[other, me]);
        assert!(check_message(&message(&[elsewhere]), &expect).is_err());
        // The suspension that goes with the slash forfeits the deposit; one that keeps it
        // is refused.
        let forfeiting = io_sdk::registry::attest_node_forfeiting(&leaf(node, operator), &[me, other], 7, NodeMetrics::default());
        assert_eq!(check_message(&message(&[forfeiting]), &expect), Ok(()));
        let keeping = io_sdk::registry::attest_node(&leaf(node, operator), &[me, other], 7, Verdict::Suspended, NodeMetrics::default());
        assert!(check_message(&message(&[keeping]), &expect).unwrap_err().contains("keeps the deposit"));
    }

    #[test]
    fn the_quorum_median_takes_each_figure_from_the_middle_and_the_safe_side_of_a_pair() {
        let three = [m(1_000, 9_000, 4_000, 10), m(1_400, 5_000, 9_000, 0), m(600, 30_000, 100, 50)];
        assert_eq!(quorum_median(&three), m(1_000, 9_000, 4_000, 10));
        // A pair: the lower speed and bandwidth, the higher RTT and loss.
        assert_eq!(quorum_median(&three[..2]), m(1_000, 9_000, 4_000, 10));
        // One optimistic lead among four cannot lift any figure.
        let four = [m(9_999, 1, 99_999, 0), m(1_000, 9_000, 4_000, 10), m(1_100, 8_000, 5_000, 20), m(900, 10_000, 3_000, 30)];
        assert_eq!(quorum_median(&four), m(1_000, 9_000, 4_000, 20));
    }

    #[test]
    fn a_measurement_opens_only_for_its_own_node_epoch_and_figures() {
        let key = Keypair::new();
        let node = Pubkey::new_unique();
        let signed = sign_measurement(&key, &node, 7, ReviewKind::Audit, true, &m(1_000, 9_000, 4_000, 10));
        assert_eq!(open_measurement(&signed, &node, 7, ReviewKind::Audit), Ok((key.pubkey(), true, m(1_000, 9_000, 4_000, 10))));
        assert!(open_measurement(&signed, &node, 8, ReviewKind::Audit).is_err());
        assert!(open_measurement(&signed, &Pubkey::new_unique(), 7, ReviewKind::Audit).is_err());
        assert!(open_measurement(&signed, &node, 7, ReviewKind::Liveness).is_err());
        let mut inflated = signed.clone();
        inflated.metrics.as_mut().unwrap().verified_centi_tflops = 2_000;
        assert!(open_measurement(&inflated, &node, 7, ReviewKind::Audit).unwrap_err().contains("not signed"));
        let mut flipped = signed;
        flipped.verified = false;
        assert!(open_measurement(&flipped, &node, 7, ReviewKind::Audit).is_err());
    }

    #[test]
    fn only_misconduct_calls_for_a_slash() {
        assert_eq!(slash_reason(&[Finding::Handshake(HandshakeError::UuidMismatch)]), Some(SlashReason::SpoofedHardware));
        assert_eq!(
            slash_reason(&[Finding::TooSlow { gpu: 0, measured_centi_tflops: 1, expected_centi_tflops: 6_690 }]),
            Some(SlashReason::SpoofedHardware)
        );
        // A third of the expected speed: suspended, not slashed.
        assert_eq!(slash_reason(&[Finding::TooSlow { gpu: 0, measured_centi_tflops: 2_230, expected_centi_tflops: 6_690 }]), None);
        assert_eq!(slash_reason(&[Finding::TooSlow { gpu: 3, measured_centi_tflops: 668, expected_centi_tflops: 6_690 }]), Some(SlashReason::SpoofedHardware));
        assert_eq!(slash_reason(&[Finding::CommitmentMismatch]), Some(SlashReason::FailedAudit));
        assert_eq!(slash_reason(&[Finding::Unreachable("down".into())]), None);
        assert_eq!(slash_reason(&[Finding::Handshake(HandshakeError::Expired { age_secs: 60, ttl_secs: 30 })]), None);
        assert_eq!(slash_reason(&[]), None);
    }
}
