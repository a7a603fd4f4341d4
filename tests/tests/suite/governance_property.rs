//! Random sequences of deposits, unstake requests, clock moves, proposals, votes and
//! queueing by six operators on a DAO bank, against an off-chain model that records each
//! operator's bond over time. Every step's success, or its refusal by name, is the one the
//! model predicts; after every step each proposal's yes / no / abstain equal the sums of the
//! model's snapshot weights (the bond at the end of the second before the opening) of the
//! voters that chose them, its stake at opening equals the model's total bond before the
//! opening second, and its status is the model's.

use io_governance::{GovernanceError, ProposalStatus, VoteChoice};
use io_sdk::client::{Chain, Refusal};
use io_sdk::governance as gx;
use io_sdk::staking as sx;
use io_staking::StakingError;
use io_tests::figures::figure;
use io_tests::Harness;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::cell::RefCell;
use std::collections::BTreeMap;

const IO: u64 = 1_000_000;
const DAY: i64 = 86_400;
const OPERATORS: usize = 6;
/// $IO each operator holds, to deposit from.
const WALLET: u64 = 150_000 * IO;
/// Bond checkpoints a position keeps.
const KEPT: usize = io_staking::BOND_HISTORY;
const UNBONDING_SLOTS: usize = io_staking::MAX_UNBONDING_ENTRIES;

#[derive(Clone, Debug)]
enum Op {
    Deposit(usize, u64),
    Unstake(usize, u64),
    Wait(i64),
    Propose(usize),
    Vote(usize, Index, u8),
    Queue(Index),
    /// `n` bond changes in `n` consecutive seconds (1 IO each): wears out a position's
    /// history of bond checkpoints.
    Churn(usize, u8),
}

fn op() -> impl Strategy<Value = Op> {
    let wait = prop_oneof![3 => 1i64..4, 2 => 60i64..7_200, 1 => (DAY / 2)..(2 * DAY)];
    prop_oneof![
        4 => (0..OPERATORS, 1u64..20_000).prop_map(|(o, io)| Op::Deposit(o, io * IO)),
        3 => (0..OPERATORS, 1u64..12_000).prop_map(|(o, io)| Op::Unstake(o, io * IO)),
        3 => wait.prop_map(Op::Wait),
        2 => (0..OPERATORS).prop_map(Op::Propose),
        6 => (0..OPERATORS, any::<Index>(), 0u8..3).prop_map(|(o, p, c)| Op::Vote(o, p, c)),
        2 => any::<Index>().prop_map(Op::Queue),
        1 => (0..OPERATORS, 1u8..10).prop_map(|(o, n)| Op::Churn(o, n)),
    ]
}

/// One operator as the model sees it.
#[derive(Default)]
struct Position {
    /// Bond after each second it changed in, oldest first.
    history: Vec<(i64, u64)>,
    tokens: u64,
    unbonding_entries: usize,
}

impl Position {
    fn bonded(&self) -> u64 {
        self.history.last().map_or(0, |c| c.1)
    }

    fn set_bond(&mut self, now: i64, bonded: u64) {
        match self.history.last_mut() {
            Some(last) if last.0 == now => last.1 = bonded,
            _ => self.history.push((now, bonded)),
        }
    }

    /// The bond at the end of the second before `ts`.
    fn bond_before(&self, ts: i64) -> u64 {
        self.history.iter().rev().find(|c| c.0 < ts).map_or(0, |c| c.1)
    }

    /// The chain keeps the last `KEPT` change-seconds: the bond before `ts` is lost once
    /// `KEPT` of them are at or after `ts` and an older one existed.
    fn snapshot_lost(&self, ts: i64) -> bool {
        self.history.len() > KEPT && self.history.iter().filter(|c| c.0 >= ts).count() >= KEPT
    }
}

struct ModelProposal {
    id: u64,
    opened_at: i64,
    voting_ends_at: i64,
    stake_at_open: u64,
    voters: BTreeMap<usize, VoteChoice>,
    status: ProposalStatus,
}

struct Model {
    now: i64,
    positions: Vec<Position>,
    proposals: Vec<ModelProposal>,
    threshold: u64,
    quorum_bps: u16,
    approval_bps: u16,
}

impl Model {
    fn total_before(&self, ts: i64) -> u64 {
        self.positions.iter().map(|p| p.bond_before(ts)).sum()
    }

    /// Quorum (10% of the stake at opening voted yes, no or abstain), then approval (60% of
    /// yes + no is yes, with at least one yes).
    fn passes(&self, tally: [u64; 3], stake_at_open: u64) -> bool {
        let [yes, no, abstain] = tally.map(u128::from);
        let quorum = (yes + no + abstain) * 10_000 >= u128::from(stake_at_open) * u128::from(self.quorum_bps);
        quorum && yes > 0 && yes * 10_000 >= (yes + no) * u128::from(self.approval_bps)
    }
}

fn choice(c: u8) -> VoteChoice {
    [VoteChoice::Yes, VoteChoice::No, VoteChoice::Abstain][usize::from(c)]
}

/// What the model expects of one step: success, or this error raised by this program.
type Expected = Result<(), Refusal>;

fn refused(e: impl Into<Refusal>) -> Expected {
    Err(e.into())
}

/// What a step does to the model once the chain accepted it.
enum Effect {
    Deposit(usize, u64),
    Unstake(usize, u64),
    Open,
    Vote(usize, usize, VoteChoice),
    Queue(usize),
}

impl Model {
    fn apply(&mut self, effect: Effect, voting_period: i64) {
        let now = self.now;
        match effect {
            Effect::Deposit(o, amount) => {
                let p = &mut self.positions[o];
                p.tokens -= amount;
                p.set_bond(now, p.bonded() + amount);
            }
            Effect::Unstake(o, amount) => {
                let p = &mut self.positions[o];
                p.unbonding_entries += 1;
                p.set_bond(now, p.bonded() - amount);
            }
            Effect::Open => {
                let stake_at_open = self.total_before(now);
                self.proposals.push(ModelProposal {
                    id: 1 + self.proposals.len() as u64,
                    opened_at: now,
                    voting_ends_at: now + voting_period,
                    stake_at_open,
                    voters: BTreeMap::new(),
                    status: ProposalStatus::Voting,
                });
            }
            Effect::Vote(o, p, choice) => {
                self.proposals[p].voters.insert(o, choice);
            }
            Effect::Queue(p) => {
                let passed = self.passes(self.tally(&self.proposals[p]), self.proposals[p].stake_at_open);
                self.proposals[p].status = if passed { ProposalStatus::Queued } else { ProposalStatus::Defeated };
            }
        }
    }

    /// Yes, no and abstain: the snapshot weights of the voters that chose each.
    fn tally(&self, p: &ModelProposal) -> [u64; 3] {
        let mut tally = [0u64; 3];
        for (o, choice) in &p.voters {
            let slot = match choice {
                VoteChoice::Yes => 0,
                VoteChoice::No => 1,
                VoteChoice::Abstain => 2,
            };
            tally[slot] += self.positions[*o].bond_before(p.opened_at);
        }
        tally
    }
}

/// The chain agrees with the model: every position's bond, and every proposal's
/// opening, stake at opening, tally, voter count and status.
fn check(h: &mut Harness, model: &Model, operators: &[Keypair]) -> Result<(), TestCaseError> {
    for (o, operator) in operators.iter().enumerate() {
        let position = &model.positions[o];
        if !position.history.is_empty() {
            prop_assert_eq!(h.stake(&operator.pubkey()).bonded, position.bonded());
        }
    }
    for p in &model.proposals {
        let chain = h.proposal(p.id);
        prop_assert_eq!((chain.opened_at, chain.voting_ends_at), (p.opened_at, p.voting_ends_at));
        prop_assert_eq!(chain.stake_at_open, model.total_before(p.opened_at), "stake at opening of {}", p.id);
        prop_assert_eq!([chain.yes, chain.no, chain.abstain], model.tally(p), "tally of proposal {}", p.id);
        prop_assert_eq!(chain.voters, p.voters.len() as u64);
        prop_assert_eq!(chain.status, p.status, "status of proposal {}", p.id);
    }
    Ok(())
}

#[test]
fn tallies_always_equal_the_snapshot_weights_of_the_voters() {
    let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, max_shrink_iters: 32, ..Config::default() });
    // Accepted / refused steps by kind and error, over all cases: the sequences must
    // exercise both paths.
    let stats = RefCell::new(BTreeMap::<String, u32>::new());
    // Initial bonds (some operators start with none), then the random steps.
    let bond = prop_oneof![1 => Just(0u64), 3 => 1u64..40_000];
    let strategy = (prop::collection::vec(bond, OPERATORS), prop::collection::vec(op(), 150..300));
    runner
        .run(&strategy, |(initial, ops)| {
            let mut h = Harness::with_dao();
            let operators: Vec<Keypair> = (0..OPERATORS).map(|_| h.operator()).collect();
            let wallets: Vec<Pubkey> = operators.iter().map(|o| h.fund_io(&o.pubkey(), WALLET)).collect();
            let mint = h.io_mint;
            let params = h.governance_config().unwrap().params;
            let voting_period = i64::from(params.voting_period_secs);
            let mut model = Model {
                now: h.net.unix_time().unwrap(),
                positions: (0..OPERATORS).map(|_| Position { tokens: WALLET, ..Position::default() }).collect(),
                proposals: vec![],
                threshold: params.proposal_threshold,
                quorum_bps: params.quorum_bps,
                approval_bps: params.approval_bps,
            };
            let fee = gx::actions::set_fee_bps(h.treasury_config().params.fee_bps, 150);
            let setup = initial.iter().enumerate().filter(|(_, io)| **io > 0).map(|(o, io)| Op::Deposit(o, io * IO));
            let churned = ops.into_iter().flat_map(|op| match op {
                Op::Churn(o, n) => (0..n).flat_map(|_| [Op::Wait(1), Op::Deposit(o, IO)]).collect(),
                op => vec![op],
            });
            for op in setup.chain([Op::Wait(1)]).chain(churned) {
                let (kind, ix, signer, expected, effect): (&str, _, Option<usize>, Expected, Effect) = match op {
                    Op::Churn(..) => unreachable!("expanded above"),
                    Op::Wait(seconds) => {
                        h.net.advance_clock(seconds);
                        model.now += seconds;
                        prop_assert_eq!(h.net.unix_time().unwrap(), model.now);
                        continue;
                    }
                    Op::Deposit(o, amount) => {
                        let expected = if amount > model.positions[o].tokens {
                            // Raised by the token program, inside staking's CPI.
                            refused(Refusal::new(
                                anchor_spl::token::ID,
                                anchor_spl::token::spl_token::error::TokenError::InsufficientFunds as u32,
                            ))
                        } else {
                            Ok(())
                        };
                        let ix = sx::deposit(&operators[o].pubkey(), &mint, &wallets[o], amount);
                        ("deposit", ix, Some(o), expected, Effect::Deposit(o, amount))
                    }
                    Op::Unstake(o, amount) => {
                        let p = &model.positions[o];
                        let expected = if p.history.is_empty() {
                            refused(Refusal::new(io_staking::ID, anchor_lang::error::ErrorCode::AccountNotInitialized))
                        } else if amount > p.bonded() {
                            refused(StakingError::InsufficientBond)
                        } else if p.unbonding_entries == UNBONDING_SLOTS {
                            refused(StakingError::TooManyUnbondingEntries)
                        } else {
                            Ok(())
                        };
                        ("unstake", sx::request_unstake(&operators[o].pubkey(), amount), Some(o), expected, Effect::Unstake(o, amount))
                    }
                    Op::Propose(o) => {
                        let id = 1 + model.proposals.len() as u64;
                        let stake = model.positions[o].bond_before(model.now);
                        let expected = if stake >= model.threshold { Ok(()) } else { refused(GovernanceError::BelowProposalThreshold) };
                        let payer = h.net.payer();
                        let ix = gx::create_proposal(&payer, &operators[o].pubkey(), id, [o as u8; 32], "", std::slice::from_ref(&fee));
                        ("propose", ix, Some(o), expected, Effect::Open)
                    }
                    Op::Vote(o, pick, c) => {
                        if model.proposals.is_empty() {
                            continue;
                        }
                        let index = pick.index(model.proposals.len());
                        let p = &model.proposals[index];
                        let position = &model.positions[o];
                        let expected = if p.status != ProposalStatus::Voting {
                            refused(GovernanceError::ProposalNotVoting)
                        } else if model.now >= p.voting_ends_at {
                            refused(GovernanceError::VotingClosed)
                        } else if p.voters.contains_key(&o) {
                            refused(GovernanceError::AlreadyVoted)
                        } else if position.history.is_empty() {
                            refused(GovernanceError::NoVotingWeight)
                        } else if position.snapshot_lost(p.opened_at) {
                            refused(GovernanceError::SnapshotUnavailable)
                        } else if position.bond_before(p.opened_at) == 0 {
                            refused(GovernanceError::NoVotingWeight)
                        } else {
                            Ok(())
                        };
                        let ix = gx::cast_vote(&operators[o].pubkey(), p.id, choice(c));
                        ("vote", ix, Some(o), expected, Effect::Vote(o, index, choice(c)))
                    }
                    Op::Queue(pick) => {
                        if model.proposals.is_empty() {
                            continue;
                        }
                        let index = pick.index(model.proposals.len());
                        let p = &model.proposals[index];
                        let expected = if p.status != ProposalStatus::Voting {
                            refused(GovernanceError::ProposalNotVoting)
                        } else if model.now < p.voting_ends_at {
                            refused(GovernanceError::VotingNotEnded)
                        } else {
                            Ok(())
                        };
                        ("queue", gx::queue_proposal(p.id), None, expected, Effect::Queue(index))
                    }
                };
                let signers: Vec<&Keypair> = signer.iter().map(|o| &operators[*o]).collect();
                let result = h.net.send(&[ix], &signers);
                let got: Expected = match &result {
                    Ok(_) => Ok(()),
                    Err(e) => Err(Refusal::of(e).unwrap_or_else(|| panic!("{kind}: no program error in {e:?}"))),
                };
                prop_assert_eq!(got, expected, "{} at {}: {:?}", kind, model.now, result.as_ref().err());
                *stats.borrow_mut().entry(format!("{kind}: {}", describe(expected))).or_default() += 1;
                if expected.is_ok() {
                    let queued = match effect {
                        Effect::Queue(p) => Some(p),
                        _ => None,
                    };
                    model.apply(effect, voting_period);
                    if let Some(p) = queued {
                        *stats.borrow_mut().entry(format!("queue: ok, {:?}", model.proposals[p].status)).or_default() += 1;
                    }
                }
                check(&mut h, &model, &operators)?;
            }
            h.check_invariants();
            Ok(())
        })
        .unwrap();
    let stats = stats.into_inner();
    for (outcome, count) in &stats {
        figure("Property test: governance (outcomes of each step over the sequences)", outcome, count);
    }
    for kind in ["deposit", "unstake", "propose", "vote", "queue", "queue: ok, Queued", "queue: ok, Defeated"] {
        assert!(stats.keys().any(|k| k.starts_with(kind) && k.contains(": ok")), "no {kind} was accepted: {stats:#?}");
    }
    assert!(stats.keys().filter(|k| !k.ends_with(": ok")).count() >= 4, "too few kinds of refusal: {stats:#?}");
}

/// A readable name for an expected outcome, for the statistics: the error and the
/// program that raised it.
fn describe(expected: Expected) -> String {
    let Err(refusal) = expected else { return "ok".into() };
    let governance = [
        GovernanceError::BelowProposalThreshold,
        GovernanceError::ProposalNotVoting,
        GovernanceError::VotingClosed,
        GovernanceError::VotingNotEnded,
        GovernanceError::AlreadyVoted,
        GovernanceError::NoVotingWeight,
        GovernanceError::SnapshotUnavailable,
    ];
    let staking = [StakingError::InsufficientBond, StakingError::TooManyUnbondingEntries];
    let name = governance
        .iter()
        .find(|e| Refusal::from(**e) == refusal)
        .map(|e| format!("governance {e:?}"))
        .or_else(|| staking.iter().find(|e| Refusal::from(**e) == refusal).map(|e| format!("staking {e:?}")));
    name.unwrap_or_else(|| format!("{} error {}", refusal.program, refusal.code))
}
