use super::create_tree::open;
use crate::constants::*;
use crate::errors::RegistryError;
use crate::state::{RegistryConfig, TreeConfig};
use anchor_lang::prelude::*;
use spl_account_compression::program::SplAccountCompression;
use spl_account_compression::Noop;

/// Anyone may open the next tree once the active one is nearly full, with the shape the
/// authority configured. The payer allocates the tree account (a fresh keypair, owned by
/// the compression program) and calls this in the same transaction, so nobody can
/// initialise that account first: onboarding never waits on a proposal that a stranger
/// could block by initialising the proposal's tree account under another authority.
#[derive(Accounts)]
pub struct OpenTree<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Account<'info, RegistryConfig>,
    /// The active tree's config: how full it is.
    #[account(
        seeds = [TREE_SEED, config.active_tree.as_ref()],
        bump = active_tree_config.bump,
    )]
    pub active_tree_config: Account<'info, TreeConfig>,
    #[account(
        init,
        payer = payer,
        space = 8 + TreeConfig::INIT_SPACE,
        seeds = [TREE_SEED, merkle_tree.key().as_ref()],
        bump
    )]
    pub tree_config: Account<'info, TreeConfig>,
    /// CHECK: allocated (zeroed) by the payer in this transaction and owned by the
    /// compression program, which checks its size and that it is not yet initialised.
    #[account(mut, owner = spl_account_compression::ID @ RegistryError::InvalidTreeAccount)]
    pub merkle_tree: UncheckedAccount<'info>,
    pub compression_program: Program<'info, SplAccountCompression>,
    pub noop_program: Program<'info, Noop>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<OpenTree>) -> Result<()> {
    let accounts = ctx.accounts;
    let params = accounts.config.registration;
    require!(params.tree_max_depth > 0, RegistryError::TreeShapeMismatch);
    let active = &accounts.active_tree_config;
    // u64 counts times at most 10,000 never saturate a u128.
    let filled = u128::from(active.num_nodes).saturating_mul(10_000);
    let needed = u128::from(active.capacity).saturating_mul(u128::from(params.open_tree_fill_bps));
    require!(filled >= needed, RegistryError::ActiveTreeNotFull);
    let canopy = open(
        &mut accounts.config,
        &mut accounts.tree_config,
        ctx.bumps.tree_config,
        &accounts.merkle_tree.to_account_info(),
        &accounts.compression_program.to_account_info(),
        &accounts.noop_program.to_account_info(),
        params.tree_max_depth,
        params.tree_max_buffer_size,
    )?;
    require!(canopy == params.tree_canopy_depth, RegistryError::TreeShapeMismatch);
    Ok(())
}
