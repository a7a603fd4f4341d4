use crate::constants::*;
use crate::errors::EmissionsError;
use crate::events::EpochAdvanced;
use crate::state::EmissionsConfig;
use anchor_lang::prelude::*;
use anchor_spl::token::{mint_to, Mint, MintTo, Token, TokenAccount};
use io_math::{RollingCap, ScheduleCursor};
use io_staking::program::Staking;
use io_staking::StakingConfig;

#[derive(Accounts)]
pub struct AdvanceEpoch<'info> {
    #[account(mut, seeds = [EMISSIONS_SEED], bump = config.bump)]
    pub config: Box<Account<'info, EmissionsConfig>>,
    #[account(mut, address = config.io_mint @ EmissionsError::WrongMint)]
    pub io_mint: Box<Account<'info, Mint>>,
    #[account(mut, address = config.staking_config @ EmissionsError::WrongStakingAccount)]
    pub staking_config: Box<Account<'info, StakingConfig>>,
    #[account(mut, address = config.reward_vault @ EmissionsError::WrongStakingAccount)]
    pub reward_vault: Box<Account<'info, TokenAccount>>,
    pub staking_program: Program<'info, Staking>,
    pub token_program: Program<'info, Token>,
}

/// The permissionless crank. Accounts every epoch that ended since the last call (at most
/// `MAX_CATCH_UP_EPOCHS`), mints what is owed into the staking reward vault and has staking
/// raise its accumulator. Emission owed while no weight earns, or above the breaker's
/// window limit, is held back (not minted) and minted by later cranks: never lost, never
/// early. The accounts and the work do not depend on how many operators stake.
pub fn handler(ctx: Context<AdvanceEpoch>) -> Result<()> {
    let overflow = || error!(EmissionsError::ArithmeticOverflow);
    let now = Clock::get()?.unix_timestamp;
    let config = &mut ctx.accounts.config;
    let schedule = config.schedule();
    let mut cursor: ScheduleCursor = config.cursor.into();
    require!(
        !(cursor.is_finished(config.epochs_per_year) && config.held_back == 0),
        EmissionsError::EmissionEnded
    );
    let ended = config.epochs_ended(now);
    require!(ended > config.next_epoch, EmissionsError::EpochNotOver);

    let first_epoch = config.next_epoch;
    let epochs = (ended - first_epoch).min(MAX_CATCH_UP_EPOCHS);
    let emitted = cursor.advance(epochs, &schedule);
    config.cursor = cursor.into();
    config.next_epoch = first_epoch.checked_add(epochs).ok_or_else(overflow)?;
    let owed = config.held_back.checked_add(emitted).ok_or_else(overflow)?;

    // The breaker: no interval of `breaker_window_secs` mints more than the limit.
    let mut breaker: RollingCap = config.breaker.into();
    let room = breaker.room(now, config.params.breaker_window_secs, config.params.breaker_max_mint);
    let earning = ctx.accounts.staking_config.rewards.earning_weight > 0;
    let minted = if earning { owed.min(room) } else { 0 };
    let breaker_limited = earning && room < owed;

    let total_minted = config.total_minted.checked_add(minted).ok_or_else(overflow)?;
    require!(total_minted <= config.supply_cap, EmissionsError::SupplyCapExceeded);
    config.total_minted = total_minted;
    breaker.record(minted).ok_or_else(overflow)?;
    config.breaker = breaker.into();
    config.held_back = owed - minted;

    let seeds = config.signer_seeds();
    if minted > 0 {
        mint_to(
            CpiContext::new_with_signer(
                ctx.accounts.token_program.to_account_info(),
                MintTo {
                    mint: ctx.accounts.io_mint.to_account_info(),
                    to: ctx.accounts.reward_vault.to_account_info(),
                    authority: config.to_account_info(),
                },
                &[&seeds[..]],
            ),
            minted,
        )?;
    }
    io_staking::cpi::distribute_rewards(
        CpiContext::new_with_signer(
            ctx.accounts.staking_program.to_account_info(),
            io_staking::cpi::accounts::DistributeRewards {
                distributor: config.to_account_info(),
                config: ctx.accounts.staking_config.to_account_info(),
                reward_vault: ctx.accounts.reward_vault.to_account_info(),
            },
            &[&seeds[..]],
        ),
        minted,
    )?;

    emit!(EpochAdvanced {
        first_epoch,
        epochs,
        year: config.cursor.year,
        emitted,
        minted,
        held_back: config.held_back,
        total_minted: config.total_minted,
        breaker_limited,
    });
    Ok(())
}
