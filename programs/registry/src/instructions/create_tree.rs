use crate::compression::{canopy_depth, init_empty_tree, read_header};
use crate::constants::*;
use crate::errors::RegistryError;
use crate::events::TreeCreated;
use crate::state::{RegistryConfig, TreeConfig};
use anchor_lang::prelude::*;
use spl_account_compression::program::SplAccountCompression;
use spl_account_compression::Noop;

#[derive(Accounts)]
pub struct CreateTree<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    pub authority: Signer<'info>,
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump, has_one = authority @ RegistryError::Unauthorized)]
    pub config: Account<'info, RegistryConfig>,
    #[account(
        init,
        payer = payer,
        space = 8 + TreeConfig::INIT_SPACE,
        seeds = [TREE_SEED, merkle_tree.key().as_ref()],
        bump
    )]
    pub tree_config: Account<'info, TreeConfig>,
    /// CHECK: allocated (zeroed) by the caller and owned by the compression program,
    /// which checks its size and that it is not yet initialised.
    #[account(mut, owner = spl_account_compression::ID @ RegistryError::InvalidTreeAccount)]
    pub merkle_tree: UncheckedAccount<'info>,
    pub compression_program: Program<'info, SplAccountCompression>,
    pub noop_program: Program<'info, Noop>,
    pub system_program: Program<'info, System>,
}

/// Opens a tree and makes it the one new nodes go to. Earlier trees stay usable for
/// updates, attestations and retirements of the nodes they hold.
pub fn handler(ctx: Context<CreateTree>, max_depth: u32, max_buffer_size: u32) -> Result<()> {
    let accounts = ctx.accounts;
    open(
        &mut accounts.config,
        &mut accounts.tree_config,
        ctx.bumps.tree_config,
        &accounts.merkle_tree.to_account_info(),
        &accounts.compression_program.to_account_info(),
        &accounts.noop_program.to_account_info(),
        max_depth,
        max_buffer_size,
    )
    .map(|_| ())
}

/// Initialises `merkle_tree` through the compression program with the tree config as its
/// authority, records it and makes it the active tree; returns its canopy depth.
#[allow(clippy::too_many_arguments)]
pub(crate) fn open<'info>(
    config: &mut Account<'info, RegistryConfig>,
    tree_config: &mut Account<'info, TreeConfig>,
    tree_config_bump: u8,
    tree_info: &AccountInfo<'info>,
    compression_program: &AccountInfo<'info>,
    noop_program: &AccountInfo<'info>,
    max_depth: u32,
    max_buffer_size: u32,
) -> Result<u32> {
    init_empty_tree(
        tree_info,
        &tree_config.to_account_info(),
        tree_config_bump,
        compression_program,
        noop_program,
        max_depth,
        max_buffer_size,
    )?;
    let header = read_header(tree_info)?;
    let canopy = canopy_depth(tree_info, &header)?;
    require!(max_depth.saturating_sub(canopy) <= MAX_PROOF_NODES, RegistryError::CanopyTooShallow);

    tree_config.merkle_tree = tree_info.key();
    require!(config.trees.len() < MAX_TREES, RegistryError::TooManyTrees);
    // Fits: at most MAX_TREES (32) trees.
    tree_config.ordinal = config.trees.len() as u32;
    tree_config.max_depth = max_depth;
    tree_config.max_buffer_size = max_buffer_size;
    tree_config.canopy_depth = canopy;
    tree_config.capacity = 1u64 << max_depth;
    tree_config.num_nodes = 0;
    tree_config.bump = tree_config_bump;
    config.active_tree = tree_info.key();
    config.trees.push(tree_info.key());
    emit!(TreeCreated { merkle_tree: tree_info.key(), ordinal: tree_config.ordinal, max_depth, max_buffer_size, canopy_depth: canopy });
    Ok(canopy)
}
