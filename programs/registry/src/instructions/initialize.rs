use crate::constants::*;
use crate::errors::RegistryError;
use crate::events::OraclesSet;
use crate::quorum::validate_oracle_set;
use crate::state::{GpuCatalogue, RegistrationParams, RegistryConfig};
use anchor_lang::prelude::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct InitializeArgs {
    /// First config authority (genesis hands it to the DAO later, in two steps).
    pub authority: Pubkey,
    pub oracles: Vec<Pubkey>,
    pub threshold: u8,
    /// Attestation epoch length; epoch 1 starts now.
    pub epoch_length_secs: u32,
}

io_program_common::deployer_accounts!(RegistryError::NotUpgradeAuthority);

#[derive(Accounts)]
pub struct Initialize<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    /// The program's upgrade authority, checked before any other account is read or created.
    pub deploy: Deployer<'info>,
    #[account(init, payer = payer, space = 8 + RegistryConfig::INIT_SPACE, seeds = [CONFIG_SEED], bump)]
    pub config: Account<'info, RegistryConfig>,
    #[account(init, payer = payer, space = 8 + GpuCatalogue::INIT_SPACE, seeds = [CATALOGUE_SEED], bump)]
    pub catalogue: Account<'info, GpuCatalogue>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<Initialize>, args: InitializeArgs) -> Result<()> {
    validate_oracle_set(&args.oracles, args.threshold)?;
    require!((MIN_EPOCH_LENGTH_SECS..=MAX_EPOCH_LENGTH_SECS).contains(&args.epoch_length_secs), RegistryError::InvalidEpochLength);
    let config = &mut ctx.accounts.config;
    config.authority = args.authority;
    config.pending_authority = None;
    config.oracles = args.oracles.clone();
    config.threshold = args.threshold;
    config.epoch_origin = Clock::get()?.unix_timestamp;
    config.epoch_length_secs = args.epoch_length_secs;
    config.active_tree = Pubkey::default();
    config.trees = vec![];
    // No deposit, no cap and no open_tree until the authority sets them (genesis does).
    config.registration = RegistrationParams {
        deposit_lamports: 0,
        max_pending_per_operator: u32::MAX,
        tree_max_depth: 0,
        tree_max_buffer_size: 0,
        tree_canopy_depth: 0,
        open_tree_fill_bps: 10_000,
    };
    config.forfeited_lamports = 0;
    // The longest lease until the authority sets one (genesis does).
    config.lease_epochs = MAX_LEASE_EPOCHS;
    config.bump = ctx.bumps.config;
    ctx.accounts.catalogue.bump = ctx.bumps.catalogue;
    emit!(OraclesSet { oracles: args.oracles, threshold: args.threshold });
    Ok(())
}
