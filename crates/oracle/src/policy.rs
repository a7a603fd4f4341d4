//! What a co-signing oracle accepts: when two oracles' measurements of a node agree, what
//! a failed audit's findings call for, and which transaction messages it will sign.

use crate::audit::Finding;
use crate::daemon::{from_proto, to_proto, ReviewKind};
use anchor_lang::{AnchorDeserialize, Discriminator};
use io_poc::handshake::HandshakeError;
use io_proto::v1 as pb;
use io_registry::{NodeMetrics, Verdict};
use io_staking::SlashReason;
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
/// a UUID count not the record's GPU count, a GPU that already counts on another node, GPUs that together compute less than half of
/// what the claimed count must, a GPU far slower than its model) and a faked stress test
/// (a wrong block, a wrong product, a result that is not the committed one, a replayed
/// handshake) are misconduct; an unreachable worker, a bad network, a broken message or
/// a moderately slow GPU is grounds for suspension only.
pub fn slash_reason(findings: &[Finding]) -> Option<SlashReason> {
    findings.iter().find_map(|f| match f {
        Finding::Handshake(HandshakeError::UuidMismatch)
        | Finding::GpuCountMismatch { .. }
        | Finding::CountNotProven { .. }
        | Finding::GpuCountedElsewhere { .. } => Some(SlashReason::SpoofedHardware),
        Finding::TooSlow { measured_centi_tflops, expected_centi_tflops, .. }
            if u64::from(*measured_centi_tflops) * 10_000 < u64::from(*expected_centi_tflops) * SPOOF_SPEED_SHARE_BPS =>
        {
            Some(SlashReason::SpoofedHardware)
        }
        Finding::WrongBlock { .. }
        | Finding::WrongProduct(_)
        | Finding::CommitmentMismatch
        | Finding::Handshake(HandshakeError::Replayed) => Some(SlashReason::FailedAudit),
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

/// The quorum's metrics, by the registry's own rule (`attest_node` applies the same).
pub use io_registry::quorum_median;

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
    /// This oracle's own signed measurement, for an audit (its vote carries exactly these
    /// metrics; the program takes the quorum's median). `None` for a suspension without
    /// an audit, which keeps the record's metrics.
    pub measurement: Option<pb::Measurement>,
    /// The leaf a vote must be about (tree, leaf index): the node key's newest leaf in
    /// this oracle's view, or the shadowed leaf of a duplicate suspension.
    pub leaf: Option<(Pubkey, u32)>,
    /// Leaf hash of the record this oracle reviewed: a vote must name exactly it.
    pub record_hash: [u8; 32],
    /// The GPUs this oracle's own audit proved (ascending); empty unless verified.
    pub gpu_ids: Vec<[u8; io_registry::GPU_ID_LEN]>,
}

/// Checks a transaction message before signing it: this oracle is a required signer,
/// and it holds exactly one instruction it agreed to: its own vote with exactly the
/// agreed subject (record, leaf, epoch, verdict, forfeit, GPUs) and its own metrics, or
/// the slash its own audit calls for, no larger than the policy's. Anything else is
/// refused.
pub fn check_message(message: &Message, expect: &Expectation) -> Result<(), String> {
    let signers = usize::from(message.header.num_required_signatures);
    if !message.account_keys.iter().take(signers).any(|k| *k == expect.me) {
        return Err("this oracle is not a signer of the message".into());
    }
    if message.instructions.is_empty() {
        return Err("the message has no instruction".into());
    }
    let mut votes = 0;
    let mut slashes = 0;
    for ix in &message.instructions {
        let program = message.account_keys.get(usize::from(ix.program_id_index)).ok_or("bad program index")?;
        let data = ix.data.as_slice();
        let (head, body) = data.split_at(data.len().min(8));
        let account = |i: usize| ix.accounts.get(i).and_then(|a| message.account_keys.get(usize::from(*a))).copied();
        if *program == io_registry::ID && head == io_registry::instruction::SubmitVerdict::DISCRIMINATOR {
            let args = io_registry::instruction::SubmitVerdict::try_from_slice(body).map_err(|e| format!("submit_verdict args: {e}"))?.args;
            let subject = &args.subject;
            // Accounts: payer, oracle, config, merkle_tree, ballot, system program.
            if account(1) != Some(expect.me) {
                return Err("the vote is not this oracle's".into());
            }
            if subject.record_hash != expect.record_hash {
                return Err("the vote is about another record than the one I reviewed".into());
            }
            if let Some((tree, index)) = expect.leaf {
                if args.leaf_index != index || account(3) != Some(tree) {
                    return Err(format!(
                        "the vote is about leaf {} of another tree or index, I agreed to leaf {index} of {tree}",
                        args.leaf_index
                    ));
                }
            }
            if subject.forfeit_deposit != expect.slash.is_some() {
                return Err(format!(
                    "the vote {} the deposit; my audit calls for {}",
                    if subject.forfeit_deposit { "forfeits" } else { "keeps" },
                    if expect.slash.is_some() { "a slash" } else { "no slash" }
                ));
            }
            if subject.epoch != expect.epoch || subject.verdict != expect.verdict || args.metrics != expect.metrics {
                return Err(format!(
                    "the vote says epoch {} {:?} {:?}, I agreed to epoch {} {:?} {:?}",
                    subject.epoch, subject.verdict, args.metrics, expect.epoch, expect.verdict, expect.metrics
                ));
            }
            if subject.gpu_ids != expect.gpu_ids {
                return Err(format!("the vote names {} GPUs, not the {} my audit proved", subject.gpu_ids.len(), expect.gpu_ids.len()));
            }
            votes += 1;
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
    if votes + slashes != 1 {
        return Err("a message must hold exactly one vote or one slash".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use io_registry::VerdictSubject;

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

    fn expectation(
        me: Pubkey,
        node: Pubkey,
        operator: Pubkey,
        verdict: Verdict,
        metrics: NodeMetrics,
        slash: Option<(SlashReason, u64)>,
    ) -> Expectation {
        let gpu_ids = if verdict == Verdict::Verified { io_sdk::gpu_ids(&["gpu-1", "gpu-2"]) } else { vec![] };
        let record_hash = leaf(node, operator).record.leaf_hash();
        Expectation { me, node, operator, epoch: 7, verdict, metrics, slash, measurement: None, leaf: None, record_hash, gpu_ids }
    }

    #[test]
    fn a_peer_signs_only_its_own_vote_as_it_agreed_to() {
        let (me, other, node, operator) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
        let mine = m(1_000, 9_000, 4_000, 0);
        let expect = expectation(me, node, operator, Verdict::Verified, mine, None);
        let at = leaf(node, operator);
        let subject = |epoch, verdict, forfeit, gpus: Vec<[u8; 16]>| io_sdk::registry::verdict_subject(&at, epoch, verdict, forfeit, gpus);
        let agreed = subject(7, Verdict::Verified, false, expect.gpu_ids.clone());
        let vote =
            |oracle: &Pubkey, subject: VerdictSubject, metrics| io_sdk::registry::submit_verdict(&other, oracle, &at, subject, metrics);

        assert_eq!(check_message(&message(&[vote(&me, agreed.clone(), mine)]), &expect), Ok(()));
        // Another oracle's vote, other metrics, another epoch, verdict or GPU set.
        assert!(check_message(&message(&[vote(&other, agreed.clone(), mine)]), &expect).unwrap_err().contains("not a signer"));
        assert!(check_message(&message(&[vote(&me, agreed.clone(), m(2_000, 9_000, 4_000, 0))]), &expect).is_err());
        assert!(check_message(&message(&[vote(&me, subject(8, Verdict::Verified, false, expect.gpu_ids.clone()), mine)]), &expect).is_err());
        assert!(check_message(&message(&[vote(&me, subject(7, Verdict::Suspended, false, vec![]), mine)]), &expect).is_err());
        let fewer = subject(7, Verdict::Verified, false, expect.gpu_ids[..1].to_vec());
        assert!(check_message(&message(&[vote(&me, fewer, mine)]), &expect).unwrap_err().contains("GPUs"));
        // Another record than the one reviewed (the same node key, other hardware).
        let mut changed = at.clone();
        changed.record.gpu_count = 8;
        let elsewhere = io_sdk::registry::submit_verdict(
            &other,
            &me,
            &changed,
            io_sdk::registry::verdict_subject(&changed, 7, Verdict::Verified, false, expect.gpu_ids.clone()),
            mine,
        );
        assert!(check_message(&message(&[elsewhere]), &expect).unwrap_err().contains("another record"));
        // Something smuggled in beside it, or two votes.
        let transfer = solana_sdk::system_instruction::transfer(&me, &other, 1);
        assert!(check_message(&message(&[vote(&me, agreed.clone(), mine), transfer]), &expect)
            .unwrap_err()
            .contains("not one an oracle co-signs"));
        assert!(check_message(&message(&[vote(&me, agreed.clone(), mine), vote(&me, agreed.clone(), mine)]), &expect)
            .unwrap_err()
            .contains("exactly one"));
        // Another leaf of the same node key (a shadowed registration) is refused.
        let pinned = Expectation { leaf: Some((at.merkle_tree, at.record.leaf_index + 1)), ..expect.clone() };
        assert!(check_message(&message(&[vote(&me, agreed.clone(), mine)]), &pinned).unwrap_err().contains("another tree or index"));
        let right = Expectation { leaf: Some((at.merkle_tree, at.record.leaf_index)), ..expect.clone() };
        assert_eq!(check_message(&message(&[vote(&me, agreed.clone(), mine)]), &right), Ok(()));
        // A slash the audit did not call for, or a deposit forfeited without one.
        let slash = io_sdk::staking::propose_slash(&other, &operator, 0, 5, SlashReason::FailedAudit, [0; 32], &[me, other]);
        assert!(check_message(&message(&[slash]), &expect).unwrap_err().contains("no slash"));
        let forfeiting = Expectation { verdict: Verdict::Suspended, gpu_ids: vec![], ..expect.clone() };
        assert!(check_message(&message(&[vote(&me, subject(7, Verdict::Suspended, true, vec![]), mine)]), &forfeiting)
            .unwrap_err()
            .contains("forfeits the deposit"));
    }

    #[test]
    fn a_peer_signs_a_slash_no_larger_than_its_own_policy() {
        let (me, other, node, operator) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
        let expect =
            expectation(me, node, operator, Verdict::Suspended, NodeMetrics::default(), Some((SlashReason::SpoofedHardware, 1_000)));
        let slash = |amount, reason| io_sdk::staking::propose_slash(&other, &operator, 4, amount, reason, [9; 32], &[other, me]);
        assert_eq!(check_message(&message(&[slash(1_000, SlashReason::SpoofedHardware)]), &expect), Ok(()));
        assert!(check_message(&message(&[slash(1_001, SlashReason::SpoofedHardware)]), &expect).is_err());
        assert!(check_message(&message(&[slash(10, SlashReason::Downtime)]), &expect).is_err());
        let elsewhere =
            io_sdk::staking::propose_slash(&other, &Pubkey::new_unique(), 4, 10, SlashReason::SpoofedHardware, [9; 32], &[other, me]);
        assert!(check_message(&message(&[elsewhere]), &expect).is_err());
        // The suspension that goes with the slash forfeits the deposit; one that keeps it
        // is refused.
        let at = leaf(node, operator);
        let vote = |forfeit| {
            let subject = io_sdk::registry::verdict_subject(&at, 7, Verdict::Suspended, forfeit, vec![]);
            io_sdk::registry::submit_verdict(&other, &me, &at, subject, NodeMetrics::default())
        };
        assert_eq!(check_message(&message(&[vote(true)]), &expect), Ok(()));
        assert!(check_message(&message(&[vote(false)]), &expect).unwrap_err().contains("keeps the deposit"));
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
        assert_eq!(
            slash_reason(&[Finding::TooSlow { gpu: 3, measured_centi_tflops: 668, expected_centi_tflops: 6_690 }]),
            Some(SlashReason::SpoofedHardware)
        );
        assert_eq!(slash_reason(&[Finding::CommitmentMismatch]), Some(SlashReason::FailedAudit));
        assert_eq!(slash_reason(&[Finding::Unreachable("down".into())]), None);
        assert_eq!(slash_reason(&[Finding::Handshake(HandshakeError::Expired { age_secs: 60, ttl_secs: 30 })]), None);
        assert_eq!(slash_reason(&[]), None);
    }
}
