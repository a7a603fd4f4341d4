//! `io rewards ...`: what an operator has earned from emissions, and claiming it.

use crate::emissions_cmd::group_io;
use anyhow::{ensure, Context};
use clap::Subcommand;
use io_sdk::client::{fetch, fetch_opt, Chain};
use io_sdk::rewards::{lease_is_live, pending_rewards};
use io_sdk::{pda, staking as sx};
use io_staking::{OperatorStake, StakingConfig};
use solana_sdk::pubkey::Pubkey;
use std::fmt::Write as _;

#[derive(Subcommand, Debug)]
pub enum RewardsCommand {
    /// Rewards an operator could claim now (default: the --keypair's).
    Pending {
        #[arg(long)]
        operator: Option<Pubkey>,
    },
    /// Claim every settled reward into one of your $IO token accounts; the operator is the
    /// --keypair, which signs. Also renews the stake's weight lease.
    Claim {
        /// The operator's $IO token account.
        #[arg(long)]
        tokens: Pubkey,
    },
}

pub fn run_rewards(chain: &mut impl Chain, command: RewardsCommand) -> anyhow::Result<String> {
    let mut out = String::new();
    let config: StakingConfig = fetch(chain, &pda::staking_config()).context("staking config (is genesis done?)")?;
    match command {
        RewardsCommand::Pending { operator } => {
            out += &describe_rewards(chain, &operator.unwrap_or_else(|| chain.payer()))?;
        }
        RewardsCommand::Claim { tokens } => {
            let operator = chain.payer();
            let stake: OperatorStake =
                fetch_opt(chain, &pda::operator_stake(&operator))?.with_context(|| format!("operator {operator} has no stake"))?;
            // Checked here so a claim with nothing to pay costs no fee; the program would
            // refuse it with NothingToClaim.
            ensure!(pending_rewards(&config, &stake) > 0, "nothing to claim yet for operator {operator}");
            chain.send(&[sx::claim_rewards(&operator, &config.io_mint, &tokens)], &[])?;
            let after: OperatorStake = fetch(chain, &pda::operator_stake(&operator))?;
            writeln!(out, "claimed {} IO into {tokens}", group_io(after.claimed_rewards - stake.claimed_rewards))?;
            out += &describe_rewards(chain, &operator)?;
        }
    }
    Ok(out)
}

/// One operator's reward position: weight and its lease, pending and claimed rewards.
pub fn describe_rewards(chain: &mut impl Chain, operator: &Pubkey) -> anyhow::Result<String> {
    let config: StakingConfig = fetch(chain, &pda::staking_config())?;
    let Some(stake) = fetch_opt::<OperatorStake>(chain, &pda::operator_stake(operator))? else {
        return Ok(format!("operator {operator} has no stake\n"));
    };
    let mut out = String::new();
    let share = if config.rewards.earning_weight > 0 && lease_is_live(&config, &stake) {
        stake.weight as f64 * 100.0 / config.rewards.earning_weight as f64
    } else {
        0.0
    };
    let lease = if lease_is_live(&config, &stake) {
        format!("lease live until registry epoch {} (renewed by each attestation of a node)", stake.lease_end)
    } else if stake.weight == 0 {
        "no weight earns (no verified hardware counts, or no bond)".to_string()
    } else {
        format!("lease lapsed at registry epoch {} (a node's verification lease ended: re-attest it)", stake.lease_end)
    };
    writeln!(out, "operator    {operator}")?;
    writeln!(out, "  weight    {} ({share:.2}% of the earning weight), {lease}", stake.weight)?;
    writeln!(out, "  pending   {} IO", group_io(pending_rewards(&config, &stake)))?;
    writeln!(out, "  claimed   {} IO", group_io(stake.claimed_rewards))?;
    Ok(out)
}
