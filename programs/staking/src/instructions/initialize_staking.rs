use crate::constants::*;
use crate::errors::StakingError;
use crate::events::ParamsSet;
use crate::registry_view::registry_config;
use crate::reward_pool::RewardPool;
use crate::state::{StakingConfig, StakingParams};
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

io_program_common::deployer_accounts!(StakingError::NotUpgradeAuthority);

#[derive(Accounts)]
pub struct InitializeStaking<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    /// The program's upgrade authority, checked before any other account is read or created.
    pub deploy: Deployer<'info>,
    #[account(init, payer = payer, space = 8 + StakingConfig::INIT_SPACE, seeds = [STAKING_CONFIG_SEED], bump)]
    pub config: Box<Account<'info, StakingConfig>>,
    pub io_mint: Box<Account<'info, Mint>>,
    #[account(
        init,
        payer = payer,
        seeds = [VAULT_SEED],
        bump,
        token::mint = io_mint,
        token::authority = config,
        token::token_program = token_program
    )]
    pub vault: Box<Account<'info, TokenAccount>>,
    #[account(
        init,
        payer = payer,
        seeds = [REWARD_VAULT_SEED],
        bump,
        token::mint = io_mint,
        token::authority = config,
        token::token_program = token_program
    )]
    pub reward_vault: Box<Account<'info, TokenAccount>>,
    #[account(constraint = treasury.mint == io_mint.key() @ StakingError::WrongMint)]
    pub treasury: Box<Account<'info, TokenAccount>>,
    /// CHECK: the registry's config (address and owner checked in `registry_view`): leases
    /// end at its epochs.
    pub registry_config: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// `reward_distributor` is the emissions program's PDA: the only key that can add rewards.
pub fn handler(ctx: Context<InitializeStaking>, authority: Pubkey, reward_distributor: Pubkey, params: StakingParams) -> Result<()> {
    params.validate()?;
    let registry = registry_config(&ctx.accounts.registry_config)?;
    let config = &mut ctx.accounts.config;
    config.authority = authority;
    config.pending_authority = None;
    config.io_mint = ctx.accounts.io_mint.key();
    config.vault = ctx.accounts.vault.key();
    config.treasury = ctx.accounts.treasury.key();
    config.params = params;
    config.total_bonded = 0;
    config.total_bonded_since = 0;
    config.total_bonded_prior = 0;
    config.total_unbonding = 0;
    config.total_weight = 0;
    config.total_slashed = 0;
    config.next_slash_id = 0;
    config.reward_vault = ctx.accounts.reward_vault.key();
    config.reward_distributor = reward_distributor;
    config.rewards = RewardPool::default();
    config.registry_epoch_origin = registry.epoch_origin;
    config.registry_epoch_length_secs = registry.epoch_length_secs;
    config.bump = ctx.bumps.config;
    config.vault_bump = ctx.bumps.vault;
    config.reward_vault_bump = ctx.bumps.reward_vault;
    emit!(ParamsSet { params, treasury: config.treasury });
    Ok(())
}
