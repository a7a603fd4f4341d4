//! What the economy's routes return, as JSON: amounts in base units (1 IO = 10^6), keys in
//! base58, enums by name. Each view is a fold of its subject's events, oldest first.

use crate::economy::{EconomyEvent, StoredEvent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An operator's stake position, as its events left it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StakeView {
    pub operator: String,
    /// Bonded, counting toward weight and votes.
    pub bonded: u64,
    /// Requested out and not yet withdrawn (still slashable).
    pub unbonding: u64,
    pub withdrawn: u64,
    /// Taken by executed slashes, bonded and unbonding together.
    pub slashed: u64,
    /// The reward weight as last refreshed.
    pub weight: u64,
    /// Rewards claimed, ever.
    pub claimed_rewards: u64,
    /// Events folded.
    pub events: u64,
}

impl StakeView {
    /// Applies one event of the operator's (others are ignored).
    pub fn apply(&mut self, event: &EconomyEvent) {
        use EconomyEvent::*;
        match event {
            Deposited(e) => self.bonded = e.bonded,
            UnstakeRequested(e) => {
                self.bonded = self.bonded.saturating_sub(e.amount);
                self.unbonding += e.amount;
            }
            Withdrawn(e) => {
                self.unbonding = self.unbonding.saturating_sub(e.amount);
                self.withdrawn += e.amount;
            }
            SlashExecuted(e) => {
                self.bonded = self.bonded.saturating_sub(e.from_bonded);
                self.unbonding = self.unbonding.saturating_sub(e.from_unbonding);
                self.slashed += e.amount;
            }
            WeightChanged(e) => self.weight = e.new_weight,
            RewardsClaimed(e) => self.claimed_rewards = e.claimed_total,
            _ => return,
        }
        self.events += 1;
    }
}

/// One slash proposal against an operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlashView {
    pub id: u64,
    pub operator: String,
    pub amount: u64,
    /// SpoofedHardware, Downtime or FailedAudit.
    pub reason: String,
    /// Pending, Vetoed or Executed.
    pub status: String,
    /// When it may be executed, unix seconds.
    pub executable_at: i64,
    /// The oracles who proposed it.
    pub oracles: Vec<String>,
    /// Burn or Treasury, once executed.
    pub destination: Option<String>,
    /// The transaction that proposed it.
    pub proposed_seq: u64,
}

/// Folds slash events into one view per proposal, by id.
pub fn slashes(events: &[StoredEvent]) -> Vec<SlashView> {
    let mut out: Vec<SlashView> = vec![];
    for stored in events {
        match stored.event() {
            Some(EconomyEvent::SlashProposed(e)) => out.push(SlashView {
                id: e.id,
                operator: e.operator.to_string(),
                amount: e.amount,
                reason: format!("{:?}", e.reason),
                status: "Pending".into(),
                executable_at: e.executable_at,
                oracles: e.oracles.iter().map(ToString::to_string).collect(),
                destination: None,
                proposed_seq: stored.seq,
            }),
            Some(EconomyEvent::SlashVetoed(e)) => {
                if let Some(view) = out.iter_mut().find(|v| v.id == e.id) {
                    view.status = "Vetoed".into();
                }
            }
            Some(EconomyEvent::SlashExecuted(e)) => {
                if let Some(view) = out.iter_mut().find(|v| v.id == e.id) {
                    view.status = "Executed".into();
                    view.amount = e.amount;
                    view.destination = Some(format!("{:?}", e.destination));
                }
            }
            _ => {}
        }
    }
    out
}

/// One emission crank: the epochs it closed and what they paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EmissionView {
    pub seq: u64,
    pub first_epoch: u64,
    pub epochs: u64,
    /// The emission year of the first epoch (halvings count from it).
    pub year: u32,
    pub emitted: u64,
    pub minted: u64,
    pub paid: u64,
    pub returned: u64,
    pub reclaimed: u64,
    pub held_back: u64,
    /// Minted ever, after this crank.
    pub total_minted: u64,
    pub breaker_limited: bool,
}

/// One payment for compute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PaymentView {
    pub seq: u64,
    pub payer: String,
    /// Io or Iosd.
    pub asset: String,
    pub amount: u64,
    /// The treasury's 2%.
    pub fee: u64,
    /// The 98%: burned at once when paid in IO, kept for the buyback when paid in IOSD.
    pub rest: u64,
    /// The payer's reference, base58.
    pub reference: String,
    /// The rolling window period it fell in.
    pub period: u64,
}

/// IO taken out of the supply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BurnView {
    pub seq: u64,
    /// Payment (the 98% of a payment in IO), Buyback (IO bought with IOSD fees) or Slash
    /// (a slash whose destination is the burn).
    pub source: String,
    pub amount: u64,
    /// The payer, the keeper who filled the buyback, or the slashed operator.
    pub by: String,
}

/// A governance proposal, as its events left it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProposalView {
    pub id: u64,
    pub proposer: String,
    /// Draft, Voting, Defeated, Cancelled, Queued or Executed.
    pub status: String,
    pub link: String,
    pub description_hash: String,
    pub instructions: u8,
    pub opened_at: i64,
    pub voting_ends_at: i64,
    /// Total bonded stake when voting opened (the quorum's base).
    pub stake_at_open: u64,
    pub yes: u64,
    pub no: u64,
    pub abstain: u64,
    pub votes: u64,
    pub executable_at: i64,
    pub expires_at: i64,
    pub executed_at: i64,
}

/// One vote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VoteView {
    pub seq: u64,
    pub voter: String,
    /// Yes, No or Abstain.
    pub choice: String,
    pub weight: u64,
}

/// A proposal with its votes, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProposalDetail {
    pub proposal: ProposalView,
    pub votes: Vec<VoteView>,
}

/// Folds a proposal's events; `None` when it has none.
pub fn proposal(events: &[StoredEvent]) -> Option<ProposalDetail> {
    use EconomyEvent::*;
    let mut view = ProposalView::default();
    let mut votes = vec![];
    for stored in events {
        match stored.event()? {
            ProposalDrafted(e) => {
                (view.id, view.proposer, view.instructions) = (e.id, e.proposer.to_string(), e.instructions);
                view.status = "Draft".into();
            }
            ProposalAppended(e) => view.instructions = e.instructions,
            ProposalCreated(e) => {
                view.id = e.id;
                view.proposer = e.proposer.to_string();
                view.link = e.link;
                view.description_hash = super::views::b58(e.description_hash);
                view.instructions = e.instructions;
                (view.opened_at, view.voting_ends_at, view.stake_at_open) = (e.opened_at, e.voting_ends_at, e.stake_at_open);
                view.status = "Voting".into();
            }
            VoteCast(e) => {
                (view.yes, view.no, view.abstain) = (e.yes, e.no, e.abstain);
                view.votes += 1;
                votes.push(VoteView { seq: stored.seq, voter: e.voter.to_string(), choice: format!("{:?}", e.choice), weight: e.weight });
            }
            ProposalCancelled(_) => view.status = "Cancelled".into(),
            ProposalFinalized(e) => {
                view.status = format!("{:?}", e.status);
                (view.yes, view.no, view.abstain) = (e.yes, e.no, e.abstain);
                (view.executable_at, view.expires_at) = (e.executable_at, e.expires_at);
            }
            ProposalExecuted(e) => {
                view.status = "Executed".into();
                view.executed_at = e.executed_at;
            }
            _ => {}
        }
    }
    (!events.is_empty()).then_some(ProposalDetail { proposal: view, votes })
}

/// A page of emission cranks.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EmissionsPage {
    pub items: Vec<EmissionView>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<String>,
}

/// A page of payments.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentsPage {
    pub items: Vec<PaymentView>,
    pub next: Option<String>,
}

/// A page of burns.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BurnsPage {
    pub items: Vec<BurnView>,
    pub next: Option<String>,
}

/// A page of proposals, by id.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ProposalsPage {
    pub items: Vec<ProposalView>,
    /// Pass as `from_id` for the next page; absent on the last.
    pub next: Option<u64>,
}
