use crate::constants::*;
use crate::registry_view::operator_hardware;
use crate::state::{OperatorStake, StakingConfig};
use crate::weight::apply_weight;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct RefreshWeight<'info> {
    #[account(mut, seeds = [STAKING_CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, StakingConfig>>,
    #[account(mut, seeds = [STAKE_SEED, stake.operator.as_ref()], bump = stake.bump)]
    pub stake: Box<Account<'info, OperatorStake>>,
    /// CHECK: the registry's aggregate account of the stake's operator, checked in `registry_view`.
    pub operator_stats: UncheckedAccount<'info>,
}

/// Brings a weight up to date with the registry (after attestations, retirements or a
/// parameter change). Permissionless: it can only move the weight to its correct value.
pub fn handler(ctx: Context<RefreshWeight>) -> Result<()> {
    let stake = &mut ctx.accounts.stake;
    let reading = operator_hardware(&ctx.accounts.operator_stats, &stake.operator)?;
    apply_weight(&mut ctx.accounts.config, stake, &reading)
}
