//! The demo's DAO phase. Genesis handed every config authority to the DAO's PDA, so the
//! network's parameters change only through proposals: an operator holding the proposal
//! threshold opens them, the operators vote with their bonds as they stood when each
//! opened, and after the voting period and the timelock anyone executes them. Here the DAO
//! lowers the protocol fee from 2% to 1.5% and vetoes a slash the oracle quorum proposed,
//! inside its challenge window; the report checks the outcome against the chain.
//! [`Dao::enact`] is also how the treasury phase names its price feed.

use crate::dao_view::{span, stage_name};
use crate::demo_support::fund;
use crate::emissions_cmd::{group_io, percent};
use anyhow::{ensure, Context};
use io_governance::{GovernanceConfig, Proposal, ProposalStatus, VoteChoice, VoteRecord};
use io_localnet::Localnet;
use io_sdk::client::{failure_code, fetch, fetch_opt, Chain};
use io_sdk::governance::{self as gx, actions, Stage};
use io_sdk::{pda, staking as sx};
use io_staking::{OperatorStake, SlashProposal, SlashReason, SlashStatus, StakingConfig, StakingError};
use io_treasury::TreasuryConfig;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::fmt::Write as _;

/// The fee the DAO votes for, bps.
const NEW_FEE_BPS: u16 = 150;
/// Where the demo's proposals say their text is published.
const LINK: &str = "https://gov.io.example/proposals";

/// The demo's electorate: every operator votes with its bond; the one with the largest
/// bond proposes.
pub(crate) struct Dao<'a> {
    pub proposer: &'a Keypair,
    pub voters: &'a [Keypair],
}

impl<'a> Dao<'a> {
    /// Picks the proposer. Should no operator hold the proposal threshold (a tiny demo
    /// fleet), the largest one tops its bond up from the genesis allocation first.
    pub(crate) fn new(net: &mut Localnet, voters: &'a [Keypair], funding: (&Pubkey, &Pubkey, &Keypair)) -> anyhow::Result<Self> {
        ensure!(!voters.is_empty(), "the DAO needs at least one staker");
        let mut bonds = Vec::with_capacity(voters.len());
        for voter in voters {
            bonds.push(fetch_opt::<OperatorStake>(net, &pda::operator_stake(&voter.pubkey()))?.map_or(0, |s| s.bonded));
        }
        let (index, bonded) = bonds.iter().enumerate().max_by_key(|(_, b)| **b).map(|(i, b)| (i, *b)).expect("one voter");
        let proposer = &voters[index];
        let threshold = governance_config(net)?.params.proposal_threshold;
        if bonded < threshold {
            let top_up = threshold - bonded;
            let tokens = fund(net, funding, proposer, top_up)?;
            net.send(&[sx::deposit(&proposer.pubkey(), funding.0, &tokens, top_up)], &[proposer]).context("top up the proposer's bond")?;
            // Votes and the threshold count the bond as it stood the second before.
            net.advance_clock(1);
        }
        Ok(Self { proposer, voters })
    }

    /// Opens a proposal; returns its id.
    pub(crate) fn propose(&self, net: &mut Localnet, description: &str, actions: &[Instruction]) -> anyhow::Result<u64> {
        let id = governance_config(net)?.proposal_count;
        let payer = net.payer();
        let steps = gx::propose(&payer, &self.proposer.pubkey(), id, gx::description_hash(description), LINK, actions)
            .context("an action too large for a transaction")?;
        for step in steps {
            net.send(&[step], &[self.proposer]).with_context(|| format!("propose {description:?}"))?;
        }
        Ok(id)
    }

    /// Every operator votes on `id`: `choice` says how (None: it does not vote).
    pub(crate) fn vote(&self, net: &mut Localnet, id: u64, choice: impl Fn(&Pubkey) -> Option<VoteChoice>) -> anyhow::Result<()> {
        for voter in self.voters {
            let Some(choice) = choice(&voter.pubkey()) else { continue };
            net.send(&[gx::cast_vote(&voter.pubkey(), id, choice)], &[voter]).with_context(|| format!("vote on #{id}"))?;
        }
        Ok(())
    }

    /// Lets the voting periods of `ids` end, queues them (each must have passed), lets
    /// their timelocks pass and executes them in order.
    pub(crate) fn queue_and_execute(&self, net: &mut Localnet, ids: &[u64]) -> anyhow::Result<()> {
        let mut proposals = vec![];
        for id in ids {
            proposals.push(proposal(net, *id)?);
        }
        let voting_ends = proposals.iter().map(|p| p.voting_ends_at).max().unwrap_or(0);
        wait_until(net, voting_ends)?;
        let now = net.unix_time()?;
        for p in &proposals {
            ensure!(gx::stage(p, now) == Stage::Succeeded, "proposal #{} did not pass: {:?}", p.id, gx::outcome(p));
            net.send(&[gx::queue_proposal(p.id)], &[]).with_context(|| format!("queue #{}", p.id))?;
        }
        let mut queued = vec![];
        for id in ids {
            let p = proposal(net, *id)?;
            ensure!(p.status == ProposalStatus::Queued, "proposal #{id} was not queued");
            queued.push(p);
        }
        wait_until(net, queued.iter().map(|p| p.executable_at).max().unwrap_or(0))?;
        for p in &queued {
            net.send(&[gx::execute_proposal(p.id, &p.instructions)], &[]).with_context(|| format!("execute #{}", p.id))?;
            ensure!(proposal(net, p.id)?.status == ProposalStatus::Executed, "proposal #{} was not executed", p.id);
        }
        Ok(())
    }

    /// A proposal every operator votes yes on, taken through its whole life.
    pub(crate) fn enact(&self, net: &mut Localnet, description: &str, actions: &[Instruction]) -> anyhow::Result<Proposal> {
        let id = self.propose(net, description, actions)?;
        self.vote(net, id, |_| Some(VoteChoice::Yes))?;
        self.queue_and_execute(net, &[id])?;
        proposal(net, id)
    }
}

fn governance_config(net: &mut Localnet) -> anyhow::Result<GovernanceConfig> {
    fetch(net, &pda::governance_config()).context("governance config (genesis opens the DAO)")
}

fn proposal(net: &mut Localnet, id: u64) -> anyhow::Result<Proposal> {
    fetch(net, &pda::proposal(id)).with_context(|| format!("proposal #{id}"))
}

fn wait_until(net: &mut Localnet, ts: i64) -> anyhow::Result<()> {
    let now = net.unix_time()?;
    if ts > now {
        net.advance_clock(ts - now);
    }
    Ok(())
}

/// The tally of `p` is the sum of its voters' vote records and stays within the stake
/// bonded at its opening.
fn check_tally(net: &mut Localnet, p: &Proposal, voters: &[Keypair]) -> anyhow::Result<()> {
    let (mut sums, mut count) = ([0u64; 3], 0u64);
    for voter in voters {
        let Some(vote) = fetch_opt::<VoteRecord>(net, &pda::vote_record(&pda::proposal(p.id), &voter.pubkey()))? else { continue };
        let slot = match vote.choice {
            VoteChoice::Yes => 0,
            VoteChoice::No => 1,
            VoteChoice::Abstain => 2,
        };
        sums[slot] += vote.weight;
        count += 1;
    }
    ensure!(sums == [p.yes, p.no, p.abstain] && count == p.voters, "proposal #{}: tally != sum of its vote records", p.id);
    ensure!(p.yes + p.no + p.abstain <= p.stake_at_open, "proposal #{}: tally above the stake at opening", p.id);
    Ok(())
}

fn short(key: &Pubkey) -> String {
    format!("{}..", &key.to_string()[..8])
}

fn proposal_row(p: &Proposal, now: i64, title: &str) -> String {
    let decisive = p.yes + p.no;
    format!(
        "#{} {:<9} {title}\n     yes {} IO, no {} IO, abstain {} IO from {} operators: turnout {:.1}% of {:.1}% quorum, yes {:.1}% of {:.1}% needed",
        p.id,
        stage_name(gx::stage(p, now)),
        group_io(p.yes),
        group_io(p.no),
        group_io(p.abstain),
        p.voters,
        percent(p.yes + p.no + p.abstain, p.stake_at_open),
        f64::from(p.params.quorum_bps) / 100.0,
        percent(p.yes, decisive),
        f64::from(p.params.approval_bps) / 100.0
    )
}

/// Runs the phase; returns its report, the outcome checked against the chain.
/// `oracles`: a quorum of the oracle set, which proposes the slash the DAO vetoes, against
/// an operator other than the proposer and `slashed` (the one slashed earlier) where the
/// fleet has one.
pub(crate) fn run(net: &mut Localnet, dao: &Dao, oracles: &[&Keypair], slashed: &Pubkey) -> anyhow::Result<String> {
    let config = governance_config(net)?;
    let params = config.params;
    let treasury: TreasuryConfig = fetch(net, &pda::treasury_config())?;
    let old_fee = treasury.params.fee_bps;
    ensure!(treasury.authority == pda::dao(), "the treasury does not answer to the DAO");

    // The oracles propose to slash an operator for downtime; the operator shows the
    // outage was announced maintenance, and the DAO takes it up inside the window.
    let mut candidates: Vec<(u64, bool, Pubkey)> = vec![];
    for voter in dao.voters {
        let key = voter.pubkey();
        let bonded = fetch_opt::<OperatorStake>(net, &pda::operator_stake(&key))?.map_or(0, |s| s.bonded);
        // Preferred: neither the proposer nor the operator slashed before; then the most bonded.
        candidates.push((bonded, key != dao.proposer.pubkey() && key != *slashed, key));
    }
    // A bond too small to slash a tenth of (tiny demos) is passed over when it can be.
    let accused = candidates.iter().max_by_key(|(bonded, preferred, _)| (*preferred && *bonded >= 10, *bonded)).expect("a voter").2;
    let staking: StakingConfig = fetch(net, &pda::staking_config())?;
    let before: OperatorStake = fetch(net, &pda::operator_stake(&accused))?;
    let slash_amount = (before.bonded / 10).max(1);
    let slash_id = staking.next_slash_id;
    let keys: Vec<Pubkey> = oracles.iter().map(|k| k.pubkey()).collect();
    let payer = net.payer();
    let evidence = anchor_lang::solana_program::keccak::hash(b"no heartbeat 02:00-05:00 UTC").to_bytes();
    net.send(&[sx::propose_slash(&payer, &accused, slash_id, slash_amount, SlashReason::Downtime, evidence, &keys)], oracles)
        .context("the oracles propose a slash")?;
    let slash: SlashProposal = fetch(net, &pda::slash_proposal(slash_id))?;
    let pending: OperatorStake = fetch(net, &pda::operator_stake(&accused))?;

    // Two proposals, voted side by side.
    let fee_title = format!("lower the protocol fee to {:.1}%", f64::from(NEW_FEE_BPS) / 100.0);
    let fee_id = dao.propose(net, &fee_title, &[actions::set_fee_bps(treasury.params.fee_bps, NEW_FEE_BPS)])?;
    let veto_title = format!("veto slash #{slash_id}: the outage was announced maintenance");
    let veto_id = dao.propose(net, &veto_title, &[actions::veto_slash(&accused, slash_id)])?;
    let opened_at = proposal(net, fee_id)?.opened_at;

    // On the fee, the smallest operator votes no (with three or more operators); on the
    // veto, the accused abstains.
    let mut by_bond: Vec<(u64, Pubkey)> = vec![];
    for voter in dao.voters {
        let stake: OperatorStake = fetch(net, &pda::operator_stake(&voter.pubkey()))?;
        by_bond.push((stake.bonded, voter.pubkey()));
    }
    by_bond.sort();
    let dissenter = (dao.voters.len() >= 3).then(|| by_bond[0].1);
    dao.vote(net, fee_id, |v| Some(if Some(*v) == dissenter { VoteChoice::No } else { VoteChoice::Yes }))?;
    dao.vote(net, veto_id, |v| Some(if *v == accused && dao.voters.len() > 1 { VoteChoice::Abstain } else { VoteChoice::Yes }))?;
    let voting = proposal(net, fee_id)?;
    ensure!(gx::stage(&voting, net.unix_time()?) == Stage::Voting, "the fee proposal is not in its voting period");

    dao.queue_and_execute(net, &[fee_id, veto_id])?;
    let executed_at = net.unix_time()?;

    // The outcome: the fee, the slash, the stake.
    let fee = fetch::<TreasuryConfig>(net, &pda::treasury_config())?.params.fee_bps;
    ensure!(fee == NEW_FEE_BPS, "the fee is {fee} bps after the proposal, not {NEW_FEE_BPS}");
    let vetoed: SlashProposal = fetch(net, &pda::slash_proposal(slash_id))?;
    ensure!(vetoed.status == SlashStatus::Vetoed, "slash #{slash_id} is {:?}, not vetoed", vetoed.status);
    ensure!(executed_at < slash.executable_at, "the veto landed after the challenge window");
    // Once its window is over, a keeper's execute_slash is refused.
    wait_until(net, slash.executable_at)?;
    let err = net
        .send(&[sx::execute_slash(&accused, slash_id, &staking.io_mint, &staking.treasury)], &[])
        .expect_err("a vetoed slash must not execute");
    ensure!(failure_code(&err) == Some(u32::from(StakingError::SlashNotPending)), "execute_slash refused otherwise: {err:?}");
    let after: OperatorStake = fetch(net, &pda::operator_stake(&accused))?;
    ensure!(
        after.bonded == before.bonded
            && after.pending_slash == before.pending_slash
            && pending.pending_slash == before.pending_slash + slash_amount,
        "the accused operator's stake changed: bonded {} -> {}, pending slashes {} -> {}",
        before.bonded,
        after.bonded,
        before.pending_slash,
        after.pending_slash
    );

    let now = net.unix_time()?;
    let fee_p = proposal(net, fee_id)?;
    let veto_p = proposal(net, veto_id)?;
    for p in [&fee_p, &veto_p] {
        check_tally(net, p, dao.voters)?;
    }

    let mut out = String::new();
    writeln!(
        out,
        "\nDAO: every config answers to the DAO PDA {}; {} operators vote with their bonds (voting {}, quorum {:.1}%, approval {:.1}%, timelock {})",
        short(&pda::dao()),
        dao.voters.len(),
        span(i64::from(params.voting_period_secs)),
        f64::from(params.quorum_bps) / 100.0,
        f64::from(params.approval_bps) / 100.0,
        span(i64::from(params.timelock_secs))
    )?;
    writeln!(out, "{}", proposal_row(&fee_p, now, &fee_title))?;
    writeln!(out, "{}", proposal_row(&veto_p, now, &veto_title))?;
    writeln!(
        out,
        "fee               {old_fee} -> {fee} bps, executed by the DAO PDA {} after both proposals opened (proposed by {})",
        span(executed_at - opened_at),
        short(&dao.proposer.pubkey())
    )?;
    writeln!(
        out,
        "slash #{slash_id}          {} IO of {} for downtime: vetoed {} before its {} challenge window closed; execute_slash after the window: refused (SlashNotPending); stake {} IO untouched",
        group_io(slash_amount),
        short(&accused),
        span(slash.executable_at - executed_at),
        span(slash.executable_at - slash.proposed_at),
        group_io(after.bonded)
    )?;
    writeln!(out, "invariants        tally == sum of vote records, tally <= stake at opening, fee == {NEW_FEE_BPS}, slash vetoed, stake untouched: ok")?;
    Ok(out)
}
