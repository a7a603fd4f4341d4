use crate::constants::*;
use crate::errors::EmissionsError;
use crate::events::EmissionsInitialized;
use crate::state::{EmissionParams, EmissionsConfig, RollingWindow};
use anchor_lang::prelude::*;
use anchor_spl::token::{set_authority, spl_token::instruction::AuthorityType, Mint, SetAuthority, Token};
use io_math::ScheduleCursor;
use io_staking::StakingConfig;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitializeEmissionsArgs {
    pub authority: Pubkey,
    pub params: EmissionParams,
    pub epoch_secs: u32,
    pub epochs_per_year: u32,
    /// Start of epoch 0 (unix seconds).
    pub start_ts: i64,
    /// What the schedule emits in all, base units: at most the cap less the genesis
    /// supply. The rest of the cap stays unminted until the authority (the DAO) extends
    /// the reserve (`extend_reserve`).
    pub reserve: u64,
}

io_program_common::deployer_accounts!(EmissionsError::NotUpgradeAuthority);

#[derive(Accounts)]
pub struct InitializeEmissions<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    /// The program's upgrade authority, checked before any other account is read or created.
    pub deploy: Deployer<'info>,
    /// The mint's current (genesis) authority: it hands minting over for good.
    pub mint_authority: Signer<'info>,
    #[account(init, payer = payer, space = 8 + EmissionsConfig::INIT_SPACE, seeds = [EMISSIONS_SEED], bump)]
    pub config: Box<Account<'info, EmissionsConfig>>,
    #[account(
        mut,
        constraint = io_mint.key() == staking_config.io_mint @ EmissionsError::WrongMint,
        constraint = io_mint.decimals == IO_DECIMALS @ EmissionsError::WrongDecimals,
        constraint = io_mint.freeze_authority.is_none() @ EmissionsError::FreezeAuthoritySet
    )]
    pub io_mint: Box<Account<'info, Mint>>,
    #[account(
        seeds = [io_staking::STAKING_CONFIG_SEED],
        bump = staking_config.bump,
        seeds::program = io_staking::ID,
        constraint = staking_config.reward_distributor == config.key() @ EmissionsError::NotRewardDistributor
    )]
    pub staking_config: Box<Account<'info, StakingConfig>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// Takes over the $IO mint: everything minted so far is the genesis allocation, `reserve`
/// of the rest of the cap is the emission reserve, and the config PDA becomes the only
/// mint authority.
pub fn handler(ctx: Context<InitializeEmissions>, args: InitializeEmissionsArgs) -> Result<()> {
    args.params.validate()?;
    require!(args.epoch_secs >= MIN_EPOCH_SECS, EmissionsError::InvalidParams);
    require!((1..=MAX_EPOCHS_PER_YEAR).contains(&args.epochs_per_year), EmissionsError::InvalidParams);
    let supply_cap =
        SUPPLY_CAP_IO.checked_mul(10u64.pow(u32::from(IO_DECIMALS))).ok_or_else(|| error!(EmissionsError::ArithmeticOverflow))?;
    let genesis_supply = ctx.accounts.io_mint.supply;
    let unminted = supply_cap.checked_sub(genesis_supply).ok_or_else(|| error!(EmissionsError::GenesisExceedsCap))?;
    require!(args.reserve > 0, EmissionsError::InvalidParams);
    require!(args.reserve <= unminted, EmissionsError::ReserveExceedsCap);
    let reserve = args.reserve;

    let config_key = ctx.accounts.config.key();
    set_authority(
        CpiContext::new(
            ctx.accounts.token_program.to_account_info(),
            SetAuthority {
                current_authority: ctx.accounts.mint_authority.to_account_info(),
                account_or_mint: ctx.accounts.io_mint.to_account_info(),
            },
        ),
        AuthorityType::MintTokens,
        Some(config_key),
    )?;

    let config = &mut ctx.accounts.config;
    config.authority = args.authority;
    config.pending_authority = None;
    config.io_mint = ctx.accounts.io_mint.key();
    config.staking_config = ctx.accounts.staking_config.key();
    config.reward_vault = ctx.accounts.staking_config.reward_vault;
    config.params = args.params;
    config.epoch_secs = args.epoch_secs;
    config.epochs_per_year = args.epochs_per_year;
    config.start_ts = args.start_ts;
    config.supply_cap = supply_cap;
    config.genesis_supply = genesis_supply;
    config.total_minted = genesis_supply;
    config.reserve = reserve;
    config.next_epoch = 0;
    config.cursor = ScheduleCursor::new(reserve).into();
    config.held_back = 0;
    config.breaker = RollingWindow::default();
    config.bump = ctx.bumps.config;
    emit!(EmissionsInitialized {
        io_mint: config.io_mint,
        genesis_supply,
        reserve,
        start_ts: args.start_ts,
        epoch_secs: args.epoch_secs,
        epochs_per_year: args.epochs_per_year,
    });
    Ok(())
}
