//! Readable views of the DAO's proposals for `io dao list|show` and the demo: stages and
//! times relative to the chain's clock, the tally against quorum and approval, and each
//! proposal instruction decoded into what it changes.

use crate::dao_cmd::fetch_proposal;
use crate::emissions_cmd::{group_io, percent};
use crate::registry_cmd::tier_name;
use anchor_lang::{AnchorDeserialize, Discriminator};
use io_governance::{Proposal, ProposalInstruction, VoteChoice};
use io_sdk::client::{fetch, Chain};
use io_sdk::governance::{self as gx, Stage};
use io_sdk::pda;
use io_staking::{SlashProposal, SlashStatus};
use io_treasury::{Asset, TreasuryConfig};
use solana_sdk::pubkey::Pubkey;
use std::fmt::Write as _;

pub fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Draft => "draft",
        Stage::Voting => "voting",
        Stage::Succeeded => "succeeded",
        Stage::Defeated => "defeated",
        Stage::Cancelled => "cancelled",
        Stage::Queued => "queued",
        Stage::Executable => "executable",
        Stage::Executed => "executed",
        Stage::Expired => "expired",
    }
}

pub fn choice_name(choice: VoteChoice) -> &'static str {
    match choice {
        VoteChoice::Yes => "yes",
        VoteChoice::No => "no",
        VoteChoice::Abstain => "abstain",
    }
}

pub fn outcome_name(p: &Proposal) -> &'static str {
    match gx::outcome(p) {
        io_math::Outcome::Passed => "passed",
        io_math::Outcome::NoQuorum => "no quorum",
        io_math::Outcome::Rejected => "rejected",
    }
}

/// "2d 3h", "5h 12m", "40s".
pub fn span(secs: i64) -> String {
    let secs = secs.abs();
    let (d, h, m, s) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// A time against the chain's clock: "in 2d 3h", "5h 12m ago", "now".
pub fn relative(ts: i64, now: i64) -> String {
    match ts.cmp(&now) {
        std::cmp::Ordering::Greater => format!("in {}", span(ts - now)),
        std::cmp::Ordering::Less => format!("{} ago", span(now - ts)),
        std::cmp::Ordering::Equal => "now".into(),
    }
}

/// The next thing that happens to a proposal, for `list`.
fn deadline(p: &Proposal, now: i64) -> String {
    match gx::stage(p, now) {
        Stage::Draft => format!("draft of {} instructions, not open for voting", p.instructions.len()),
        Stage::Voting => format!("voting ends {}", relative(p.voting_ends_at, now)),
        Stage::Succeeded => format!("voting ended {}, ready to queue", relative(p.voting_ends_at, now)),
        Stage::Defeated => format!("voting ended {} ({})", relative(p.voting_ends_at, now), outcome_name(p)),
        Stage::Cancelled => "withdrawn by its proposer".into(),
        Stage::Queued => format!("executable {}", relative(p.executable_at, now)),
        Stage::Executable => format!("executable, expires {}", relative(p.expires_at, now)),
        Stage::Executed if p.id == 0 => "executed at genesis (bootstrap)".into(),
        Stage::Executed => format!("executed {}", relative(p.executed_at, now)),
        Stage::Expired => format!("expired {}", relative(p.expires_at, now)),
    }
}

/// One line of `io dao list`.
pub fn proposal_line(p: &Proposal, now: i64) -> String {
    format!(
        "#{:<3} {:<11}yes {:>14} IO  no {:>14} IO  abstain {:>14} IO  {}",
        p.id,
        stage_name(gx::stage(p, now)),
        group_io(p.yes),
        group_io(p.no),
        group_io(p.abstain),
        deadline(p, now)
    )
}

/// The tally against quorum and approval, as the program will judge it.
pub fn tally(p: &Proposal) -> anyhow::Result<String> {
    let mut out = String::new();
    let turnout = p.yes + p.no + p.abstain;
    let decisive = p.yes + p.no;
    let quorum_met = u128::from(turnout) * 10_000 >= u128::from(p.stake_at_open) * u128::from(p.params.quorum_bps);
    let approval_met = p.yes > 0 && u128::from(p.yes) * 10_000 >= u128::from(decisive) * u128::from(p.params.approval_bps);
    let met = |ok: bool| if ok { "met" } else { "not met" };
    writeln!(
        out,
        "tally         yes {} IO, no {} IO, abstain {} IO ({} voter{})",
        group_io(p.yes),
        group_io(p.no),
        group_io(p.abstain),
        p.voters,
        if p.voters == 1 { "" } else { "s" }
    )?;
    writeln!(
        out,
        "quorum        turnout {:.1}% of {:.1}% quorum ({} of {} IO bonded at opening): {}",
        percent(turnout, p.stake_at_open),
        f64::from(p.params.quorum_bps) / 100.0,
        group_io(turnout),
        group_io(p.stake_at_open),
        met(quorum_met)
    )?;
    writeln!(
        out,
        "approval      yes {:.1}% of {:.1}% needed (of yes + no): {}",
        percent(p.yes, decisive),
        f64::from(p.params.approval_bps) / 100.0,
        met(approval_met)
    )?;
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `io dao show`: the proposal in full, times against the chain's clock.
pub fn describe(chain: &mut impl Chain, id: u64) -> anyhow::Result<String> {
    let p = fetch_proposal(chain, id)?;
    let now = chain.unix_time()?;
    let stage = gx::stage(&p, now);
    let mut out = String::new();
    let at = |ts: i64| format!("{} (unix {ts})", relative(ts, now));
    writeln!(out, "proposal #{id}: {}", stage_name(stage))?;
    writeln!(out, "proposer      {}", p.proposer)?;
    writeln!(out, "link          {}", if p.link.is_empty() { "(none)" } else { &p.link })?;
    writeln!(out, "description   sha256 {}", hex(&p.description_hash))?;
    writeln!(out, "opened        {}", at(p.opened_at))?;
    writeln!(out, "voting ends   {}", at(p.voting_ends_at))?;
    if p.executable_at > 0 {
        writeln!(out, "executable at {}", at(p.executable_at))?;
        writeln!(out, "expires       {}", at(p.expires_at))?;
    } else if matches!(stage, Stage::Voting | Stage::Succeeded) {
        writeln!(
            out,
            "timelock      {} after queueing, then {} to execute",
            span(i64::from(p.params.timelock_secs)),
            span(i64::from(p.params.execution_window_secs))
        )?;
    }
    if p.executed_at > 0 {
        writeln!(out, "executed      {}", at(p.executed_at))?;
    }
    out += &tally(&p)?;
    writeln!(out, "instructions  {}", p.instructions.len())?;
    for (i, ix) in p.instructions.iter().enumerate() {
        let detail = instruction_detail(chain, ix, now).unwrap_or_default();
        let sep = if detail.is_empty() { "" } else { ": " };
        writeln!(out, "  {}. {}{sep}{detail}", i + 1, gx::describe_instruction(ix))?;
    }
    Ok(out)
}

fn decode<T: AnchorDeserialize>(ix: &ProposalInstruction) -> Option<T> {
    T::deserialize(&mut ix.data.get(8..)?).ok()
}

/// What a known instruction does, decoded from its data (and compared with the chain
/// where that helps: a treasury change lists only the parameters it changes).
fn instruction_detail(chain: &mut impl Chain, ix: &ProposalInstruction, now: i64) -> Option<String> {
    let is = |d: &[u8]| ix.data.starts_with(d);
    if ix.program_id == io_treasury::ID && is(io_treasury::instruction::SetTreasuryParams::DISCRIMINATOR) {
        let set = decode::<io_treasury::instruction::SetTreasuryParams>(ix)?;
        let (was, new) = (set.expected, set.change);
        let mut changes = vec![];
        if let (Some(was), Some(new)) = (was.fee_bps, new.fee_bps) {
            changes.push(format!("fee {was} -> {new} bps"));
        }
        if let Some(feed) = new.price_feed_id {
            changes.push(format!("price feed -> {}", hex(&feed)));
        }
        if let Some(gateway) = new.gateway {
            changes.push(format!("gateway -> {gateway}"));
        }
        if new.gateway_cap.is_some() || new.gateway_period_secs.is_some() {
            let cap = new.gateway_cap.map_or("unchanged".into(), |c| format!("{} IOSD", group_io(c)));
            let period = new.gateway_period_secs.map_or("unchanged".into(), |p| format!("{p} s"));
            changes.push(format!("gateway cap -> {cap} per {period}"));
        }
        if new.max_price_age_secs.is_some() || new.max_conf_bps.is_some() || new.max_slippage_bps.is_some() || new.max_fill.is_some() {
            changes.push("price guard changed".into());
        }
        // Whether the proposal still applies: every value it expects must be current.
        let current = fetch::<TreasuryConfig>(chain, &pda::treasury_config()).ok()?.params;
        if io_treasury::TreasuryParamsChange::apply(&current, &was, &new).is_err() {
            changes.push("stale: a value it expects has changed since".into());
        }
        return Some(changes.join(", "));
    }
    if ix.program_id == io_treasury::ID && is(io_treasury::instruction::Grant::DISCRIMINATOR) {
        let grant = decode::<io_treasury::instruction::Grant>(ix)?;
        let (unit, recipient) = (if grant.asset == Asset::Iosd { "IOSD" } else { "IO" }, ix.accounts.get(4)?.pubkey);
        return Some(format!("{} {unit} to {recipient}", group_io(grant.amount)));
    }
    if ix.program_id == io_staking::ID && is(io_staking::instruction::VetoSlash::DISCRIMINATOR) {
        let slash: SlashProposal = fetch(chain, &ix.accounts.get(3)?.pubkey).ok()?;
        let window = if slash.status == SlashStatus::Pending {
            format!(", challenge window closes {}", relative(slash.executable_at, now))
        } else {
            String::new()
        };
        return Some(format!(
            "slash #{} of {} IO from {} ({:?}), now {:?}{window}",
            slash.id,
            group_io(slash.amount),
            slash.operator,
            slash.reason,
            slash.status
        ));
    }
    if ix.program_id == io_registry::ID && is(io_registry::instruction::AddGpuModel::DISCRIMINATOR) {
        let args = decode::<io_registry::instruction::AddGpuModel>(ix)?.args;
        return Some(format!(
            "{} ({}, {:.2} TFLOPS, CUDA >= {}.{})",
            args.name,
            tier_name(args.tier),
            f64::from(args.expected_centi_tflops) / 100.0,
            args.min_cuda.major,
            args.min_cuda.minor
        ));
    }
    if ix.program_id == io_registry::ID && is(io_registry::instruction::SetOracles::DISCRIMINATOR) {
        let set = decode::<io_registry::instruction::SetOracles>(ix)?;
        let keys = |keys: &[Pubkey]| keys.iter().map(Pubkey::to_string).collect::<Vec<_>>().join(", ");
        let mut parts = vec![format!("threshold {} -> {}", set.expected_threshold, set.threshold)];
        if !set.remove.is_empty() {
            parts.push(format!("remove {}", keys(&set.remove)));
        }
        if !set.add.is_empty() {
            parts.push(format!("add {}", keys(&set.add)));
        }
        // The set it leaves, applied to the set as it stands now.
        let current = fetch::<io_registry::RegistryConfig>(chain, &pda::registry_config()).ok()?.oracles;
        let stale = set.remove.iter().any(|k| !current.contains(k)) || set.add.iter().any(|k| current.contains(k));
        let left = current.iter().filter(|k| !set.remove.contains(k)).count() + set.add.len();
        parts.push(if stale { "stale: the set has changed since".into() } else { format!("leaves {} of {left}", set.threshold) });
        return Some(parts.join("; "));
    }
    if ix.program_id == io_staking::ID && is(io_staking::instruction::SetParams::DISCRIMINATOR) {
        let set = decode::<io_staking::instruction::SetParams>(ix)?;
        return Some(io_staking::StakingParamsChange::describe(&set.expected, &set.change).join(", "));
    }
    if ix.program_id == io_emissions::ID && is(io_emissions::instruction::SetEmissionParams::DISCRIMINATOR) {
        let set = decode::<io_emissions::instruction::SetEmissionParams>(ix)?;
        return Some(io_emissions::EmissionParamsChange::describe(&set.expected, &set.change).join(", "));
    }
    if ix.program_id == io_emissions::ID && is(io_emissions::instruction::ExtendReserve::DISCRIMINATOR) {
        let extend = decode::<io_emissions::instruction::ExtendReserve>(ix)?;
        return Some(format!(
            "adds {} IO to the emission reserve of {} IO",
            crate::emissions_cmd::group_io(extend.amount),
            crate::emissions_cmd::group_io(extend.expected_reserve)
        ));
    }
    if ix.program_id == io_governance::ID && is(io_governance::instruction::SetGovernanceParams::DISCRIMINATOR) {
        let set = decode::<io_governance::instruction::SetGovernanceParams>(ix)?;
        return Some(io_governance::GovernanceParamsChange::describe(&set.expected, &set.change).join(", "));
    }
    None
}
