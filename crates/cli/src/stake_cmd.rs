//! `io stake ...` (operators) and `io slash ...` (oracles, the DAO, keepers), over any [`Chain`].

use crate::registry_cmd::read_keypair;
use anyhow::{bail, ensure, Context};
use clap::Subcommand;
use io_math::{bond_required, VerifiedHardware};
use io_sdk::client::{fetch, fetch_opt, Chain};
pub use io_sdk::parse::{format_io, parse_io, IO_DECIMALS};
use io_sdk::{pda, staking as sx};
use io_staking::{OperatorStake, SlashProposal, SlashReason, SlashStatus, StakingConfig};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::fmt::Write as _;

#[derive(Subcommand, Debug)]
pub enum StakeCommand {
    /// Bond IO from one of the operator's $IO token accounts.
    Deposit {
        #[arg(long)]
        operator: String,
        /// The operator's $IO token account.
        #[arg(long)]
        tokens: Pubkey,
        /// IO, e.g. 12500 or 0.5
        #[arg(long)]
        amount: String,
    },
    /// Start unbonding part of the bond.
    Unstake {
        #[arg(long)]
        operator: String,
        #[arg(long)]
        amount: String,
    },
    /// Withdraw every released unbonding entry.
    Withdraw {
        #[arg(long)]
        operator: String,
        #[arg(long)]
        tokens: Pubkey,
    },
    /// Totals, and one operator's bond, requirement, unbonding entries and weight.
    Status {
        #[arg(long)]
        operator: Option<Pubkey>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SlashCommand {
    /// Propose a slash, co-signed by a quorum of oracle keypairs.
    Propose {
        #[arg(long = "oracle", required = true)]
        oracles: Vec<String>,
        #[arg(long)]
        operator: Pubkey,
        #[arg(long)]
        amount: String,
        /// spoofed-hardware, downtime or failed-audit
        #[arg(long)]
        reason: String,
        /// 32-byte evidence hash, hex.
        #[arg(long)]
        evidence: String,
    },
    /// Veto a pending slash (config authority, inside the challenge window).
    Veto {
        #[arg(long)]
        authority: String,
        #[arg(long)]
        id: u64,
    },
    /// Execute a slash whose challenge window has passed (anyone).
    Execute {
        #[arg(long)]
        id: u64,
    },
    /// Close an executed or vetoed slash proposal; its rent goes back to whoever paid it
    /// (anyone may send it).
    Close {
        #[arg(long)]
        id: u64,
    },
    /// Every slash proposal.
    List,
}

fn parse_reason(text: &str) -> anyhow::Result<SlashReason> {
    Ok(match text {
        "spoofed-hardware" => SlashReason::SpoofedHardware,
        "downtime" => SlashReason::Downtime,
        "failed-audit" => SlashReason::FailedAudit,
        other => bail!("reason must be spoofed-hardware, downtime or failed-audit, not {other:?}"),
    })
}

fn parse_hash(text: &str) -> anyhow::Result<[u8; 32]> {
    let text = text.trim_start_matches("0x");
    ensure!(text.len() == 64, "evidence hash must be 32 bytes of hex");
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).context("evidence hash is not hex")?;
    }
    Ok(out)
}

pub fn run_stake(chain: &mut impl Chain, command: StakeCommand) -> anyhow::Result<String> {
    let mut out = String::new();
    let config: StakingConfig = fetch(chain, &pda::staking_config()).context("staking config (is genesis done?)")?;
    match command {
        StakeCommand::Deposit { operator, tokens, amount } => {
            let operator = read_keypair(&operator)?;
            chain.send(&[sx::deposit(&operator.pubkey(), &config.io_mint, &tokens, parse_io(&amount)?)], &[&operator])?;
            out += &describe_stake(chain, &operator.pubkey())?;
        }
        StakeCommand::Unstake { operator, amount } => {
            let operator = read_keypair(&operator)?;
            chain.send(&[sx::request_unstake(&operator.pubkey(), parse_io(&amount)?)], &[&operator])?;
            out += &describe_stake(chain, &operator.pubkey())?;
        }
        StakeCommand::Withdraw { operator, tokens } => {
            let operator: Keypair = read_keypair(&operator)?;
            let stake: OperatorStake = fetch(chain, &pda::operator_stake(&operator.pubkey()))?;
            let now = chain.unix_time()?;
            let released: Vec<u8> = (0..stake.unbonding.len() as u8)
                .filter(|i| stake.unbonding[usize::from(*i)].amount > 0 && stake.unbonding[usize::from(*i)].release_at <= now)
                .collect();
            ensure!(!released.is_empty(), "no unbonding entry is released yet");
            for entry in released {
                chain.send(&[sx::withdraw(&operator.pubkey(), &config.io_mint, &tokens, entry)], &[&operator])?;
                writeln!(out, "withdrew entry {entry}: {} IO", format_io(stake.unbonding[usize::from(entry)].amount))?;
            }
        }
        StakeCommand::Status { operator } => {
            writeln!(out, "bonded      {} IO", format_io(config.total_bonded))?;
            writeln!(out, "unbonding   {} IO", format_io(config.total_unbonding))?;
            writeln!(out, "slashed     {} IO", format_io(config.total_slashed))?;
            writeln!(out, "weight      {}", config.total_weight)?;
            writeln!(
                out,
                "params      min stake/GPU {} / {} / {} IO, multipliers {:?} bps, unbonding {}s, slash cap {} bps, window {}s, {:?}",
                format_io(config.params.min_stake_per_gpu[0]),
                format_io(config.params.min_stake_per_gpu[1]),
                format_io(config.params.min_stake_per_gpu[2]),
                config.params.multiplier_bps,
                config.params.unbonding_secs,
                config.params.max_slash_bps,
                config.params.challenge_secs,
                config.params.slash_destination
            )?;
            if let Some(operator) = operator {
                out += &describe_stake(chain, &operator)?;
            }
        }
    }
    Ok(out)
}

/// One operator's stake against what its verified hardware needs.
pub fn describe_stake(chain: &mut impl Chain, operator: &Pubkey) -> anyhow::Result<String> {
    let mut out = String::new();
    let config: StakingConfig = fetch(chain, &pda::staking_config())?;
    let Some(stake) = fetch_opt::<OperatorStake>(chain, &pda::operator_stake(operator))? else {
        return Ok(format!("operator {operator} has no stake\n"));
    };
    let hardware = match fetch_opt::<io_registry::OperatorStats>(chain, &pda::operator_stats(operator))? {
        Some(stats) => io_sdk::rewards::counted_hardware(&stats, chain.unix_time()?),
        None => VerifiedHardware::default(),
    };
    let required = bond_required(&hardware, &config.params.tiers()).unwrap_or(u64::MAX);
    writeln!(out, "operator    {operator}")?;
    writeln!(out, "  bonded    {} IO (verified GPUs {:?} need {} IO)", format_io(stake.bonded), hardware.gpus, format_io(required))?;
    for (i, e) in stake.unbonding.iter().enumerate().filter(|(_, e)| e.amount > 0) {
        writeln!(out, "  unbonding #{i}: {} IO, released at {}", format_io(e.amount), e.release_at)?;
    }
    writeln!(out, "  pending slashes {} IO", format_io(stake.pending_slash))?;
    writeln!(out, "  weight    {}", stake.weight)?;
    Ok(out)
}

pub fn run_slash(chain: &mut impl Chain, command: SlashCommand) -> anyhow::Result<String> {
    let mut out = String::new();
    let config: StakingConfig = fetch(chain, &pda::staking_config()).context("staking config (is genesis done?)")?;
    match command {
        SlashCommand::Propose { oracles, operator, amount, reason, evidence } => {
            let oracles: Vec<Keypair> = oracles.iter().map(|p| read_keypair(p)).collect::<Result<_, _>>()?;
            let keys: Vec<Pubkey> = oracles.iter().map(|k| k.pubkey()).collect();
            let refs: Vec<&Keypair> = oracles.iter().collect();
            let id = config.next_slash_id;
            let payer = chain.payer();
            let ix = sx::propose_slash(&payer, &operator, id, parse_io(&amount)?, parse_reason(&reason)?, parse_hash(&evidence)?, &keys);
            chain.send(&[ix], &refs)?;
            writeln!(out, "proposed slash #{id}")?;
            out += &describe_proposal(chain, id)?;
        }
        SlashCommand::Veto { authority, id } => {
            let authority = read_keypair(&authority)?;
            let proposal: SlashProposal = fetch(chain, &pda::slash_proposal(id))?;
            chain.send(&[sx::veto_slash(&authority.pubkey(), &proposal.operator, id)], &[&authority])?;
            out += &describe_proposal(chain, id)?;
        }
        SlashCommand::Execute { id } => {
            let proposal: SlashProposal = fetch(chain, &pda::slash_proposal(id))?;
            chain.send(&[sx::execute_slash(&proposal.operator, id, &config.io_mint, &config.treasury)], &[])?;
            out += &describe_proposal(chain, id)?;
        }
        SlashCommand::Close { id } => {
            let proposal: SlashProposal =
                fetch(chain, &pda::slash_proposal(id)).with_context(|| format!("slash #{id} (already closed?)"))?;
            chain.send(&[sx::close_slash_proposal(id, &proposal.rent_payer)], &[])?;
            writeln!(out, "closed slash #{id}: rent returned to {}", proposal.rent_payer)?;
        }
        SlashCommand::List => {
            for id in 0..config.next_slash_id {
                out += &describe_proposal(chain, id)?;
            }
        }
    }
    Ok(out)
}

pub fn describe_proposal(chain: &mut impl Chain, id: u64) -> anyhow::Result<String> {
    let Some(p) = fetch_opt::<SlashProposal>(chain, &pda::slash_proposal(id))? else {
        return Ok(format!("#{id} closed   (settled; its rent went back to its payer)\n"));
    };
    let status = match p.status {
        SlashStatus::Pending => "pending",
        SlashStatus::Vetoed => "vetoed",
        SlashStatus::Executed => "executed",
    };
    Ok(format!(
        "#{id} {status:<8} {} IO from {} ({:?}), executable at {}, proposed by {} oracles\n",
        format_io(p.amount),
        p.operator,
        p.reason,
        p.executable_at,
        p.oracles.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_amounts_round_trip() {
        assert_eq!(parse_io("12.5").unwrap(), 12_500_000);
        assert_eq!(parse_io("7").unwrap(), 7_000_000);
        assert!(parse_io("0.0000001").is_err());
        assert_eq!(format_io(12_500_000), "12.5");
        assert_eq!(format_io(7_000_000), "7");
        assert_eq!(format_io(1), "0.000001");
    }
}
