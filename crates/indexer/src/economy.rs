//! The economy's Anchor events: what the staking, emissions, treasury and governance
//! programs emit about stakes, slashes, emissions, payments, burns, proposals and votes.
//!
//! The store keeps each event as the program emitted it (its bytes, discriminator first),
//! with its kind and the subject it is about (an operator, a payer, a proposal), so every
//! question is a range read of one subject's or one kind's events; the views (an
//! operator's stake position, a proposal's tally) are folds over those events, computed by
//! the same code whichever backend holds them.

use anchor_lang::{AnchorDeserialize, Discriminator};
use solana_sdk::pubkey::Pubkey;

/// One kept event, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// The transaction's position.
    pub seq: u64,
    /// Unix seconds of its transaction's block (0: the source could not tell).
    pub block_time: i64,
    /// The event's position among the transaction's kept events.
    pub ordinal: u32,
    pub kind: &'static str,
    /// The operator, payer or proposal it is about (see [`EconomyEvent::subject`]).
    pub subject: Option<String>,
    /// The event's bytes: discriminator, then borsh body.
    pub data: Vec<u8>,
}

impl StoredEvent {
    /// The event, decoded (stored bytes were decoded once before they were kept).
    pub fn event(&self) -> Option<EconomyEvent> {
        EconomyEvent::decode_any(&self.data).ok().flatten()
    }
}

/// Events of a subject or of kinds, after a position, oldest first.
#[derive(Clone, Debug)]
pub struct EventQuery<'a> {
    /// Kinds to return (at least one).
    pub kinds: &'a [&'static str],
    /// Only this subject's events, when given.
    pub subject: Option<&'a str>,
    /// Only events after this `(seq, ordinal)`.
    pub after: Option<(u64, u32)>,
    pub limit: usize,
}

macro_rules! economy_events {
    ($($program:ident :: $kind:ident),* $(,)?) => {
        /// Every event the indexer keeps, by kind.
        pub enum EconomyEvent {
            $($kind($program::$kind),)*
        }

        /// Every kind the indexer keeps.
        pub const KINDS: &[&str] = &[$(stringify!($kind)),*];

        impl EconomyEvent {
            /// The event's kind: its type's name.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(EconomyEvent::$kind(_) => stringify!($kind),)*
                }
            }

            /// Decodes an event of any kept kind: `Ok(None)` for another event,
            /// `Err(kind)` for bytes with a kept kind's discriminator that do not decode
            /// as that kind (whole).
            fn decode_any(data: &[u8]) -> Result<Option<Self>, &'static str> {
                $(
                    if let Some(body) = data.strip_prefix($program::$kind::DISCRIMINATOR) {
                        return $program::$kind::try_from_slice(body).map(|e| Some(EconomyEvent::$kind(e))).map_err(|_| stringify!($kind));
                    }
                )*
                Ok(None)
            }

            fn program_of(kind: &str) -> Option<Pubkey> {
                match kind {
                    $(stringify!($kind) => Some($program::ID),)*
                    _ => None,
                }
            }
        }
    };
}

use io_emissions as emissions;
use io_governance as governance;
use io_staking as staking;
use io_treasury as treasury;

economy_events! {
    staking::Deposited,
    staking::UnstakeRequested,
    staking::Withdrawn,
    staking::WeightChanged,
    staking::RewardsClaimed,
    staking::SlashProposed,
    staking::SlashVetoed,
    staking::SlashExecuted,
    staking::RewardsDistributed,
    emissions::EpochAdvanced,
    treasury::PaymentReceived,
    treasury::BuybackFilled,
    treasury::GrantPaid,
    governance::ProposalCreated,
    governance::ProposalDrafted,
    governance::ProposalAppended,
    governance::VoteCast,
    governance::ProposalCancelled,
    governance::ProposalFinalized,
    governance::ProposalExecuted,
}

/// Why an event of one of the suite's programs was not kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// It has a kept kind's discriminator but does not decode as that kind: the program
    /// and the indexer disagree on the layout (an upgrade the indexer has not followed).
    Malformed(&'static str),
}

impl EconomyEvent {
    /// The event `program` emitted, if it is one the indexer keeps. Events of other
    /// programs are never read as the suite's (whatever their bytes), and the suite's
    /// events the indexer does not keep (authority handovers, parameter changes) are
    /// `Ok(None)`.
    pub fn decode(program: &Pubkey, data: &[u8]) -> Result<Option<Self>, Unreadable> {
        match Self::decode_any(data) {
            Ok(Some(event)) if Self::program_of(event.kind()) == Some(*program) => Ok(Some(event)),
            Ok(_) => Ok(None),
            Err(kind) if Self::program_of(kind) == Some(*program) => Err(Unreadable::Malformed(kind)),
            Err(_) => Ok(None),
        }
    }

    /// Whom the event is about: an operator's key (stakes and slashes), a payer's or
    /// recipient's key (payments, grants), `proposal:<id>` (proposals and votes); `None`
    /// for network-wide events (emissions, distributions, buybacks).
    pub fn subject(&self) -> Option<String> {
        use EconomyEvent::*;
        match self {
            Deposited(e) => Some(e.operator.to_string()),
            UnstakeRequested(e) => Some(e.operator.to_string()),
            Withdrawn(e) => Some(e.operator.to_string()),
            WeightChanged(e) => Some(e.operator.to_string()),
            RewardsClaimed(e) => Some(e.operator.to_string()),
            SlashProposed(e) => Some(e.operator.to_string()),
            SlashVetoed(e) => Some(e.operator.to_string()),
            SlashExecuted(e) => Some(e.operator.to_string()),
            PaymentReceived(e) => Some(e.payer.to_string()),
            GrantPaid(e) => Some(e.recipient.to_string()),
            ProposalCreated(e) => Some(proposal_subject(e.id)),
            ProposalDrafted(e) => Some(proposal_subject(e.id)),
            ProposalAppended(e) => Some(proposal_subject(e.id)),
            VoteCast(e) => Some(proposal_subject(e.id)),
            ProposalCancelled(e) => Some(proposal_subject(e.id)),
            ProposalFinalized(e) => Some(proposal_subject(e.id)),
            ProposalExecuted(e) => Some(proposal_subject(e.id)),
            RewardsDistributed(_) | EpochAdvanced(_) | BuybackFilled(_) => None,
        }
    }
}

/// The subject of a proposal's events.
pub fn proposal_subject(id: u64) -> String {
    format!("proposal:{id}")
}

/// The kept kind named `name`, as the store's `&'static str`.
pub fn kind_named(name: &str) -> Option<&'static str> {
    KINDS.iter().copied().find(|k| *k == name)
}

/// The kinds about an operator's stake.
pub const STAKE_KINDS: &[&str] = &["Deposited", "UnstakeRequested", "Withdrawn", "WeightChanged", "RewardsClaimed", "SlashExecuted"];
/// The kinds about slashes.
pub const SLASH_KINDS: &[&str] = &["SlashProposed", "SlashVetoed", "SlashExecuted"];
/// The kinds about proposals and votes.
pub const PROPOSAL_KINDS: &[&str] =
    &["ProposalCreated", "ProposalDrafted", "ProposalAppended", "VoteCast", "ProposalCancelled", "ProposalFinalized", "ProposalExecuted"];
