use crate::constants::*;
use crate::errors::EmissionsError;
use crate::events::EpochAdvanced;
use crate::state::EmissionsConfig;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use io_math::{RollingCap, ScheduleCursor};
use io_program_common::token::PdaSigner;
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
/// `MAX_CATCH_UP_EPOCHS`), pays what is owed into the staking reward vault and has staking
/// raise its accumulator. Emission owed above the breaker's window limit is held back and
/// paid by later cranks: never lost, never early. Emission of epochs that began before
/// the earning weight appeared (staking's `earning_since`), and everything owed while no
/// weight earns, nobody earned: it returns to the reserve, which later years emit, so it
/// is no prize for whoever bonds first, however long nobody cranked. Rewards staking has
/// forfeited (unclaimable) return to the reserve too: they stay in the vault, and what is
/// owed is paid from them before anything is minted. The accounts and the work do not
/// depend on how many operators stake.
pub fn handler(ctx: Context<AdvanceEpoch>) -> Result<()> {
    let overflow = || error!(EmissionsError::ArithmeticOverflow);
    let now = Clock::get()?.unix_timestamp;
    let config = &mut ctx.accounts.config;
    let schedule = config.schedule();
    let mut cursor: ScheduleCursor = config.cursor.into();
    let pool = &ctx.accounts.staking_config.rewards;
    let reclaimed = pool.forfeited;
    require!(!(cursor.is_finished(config.epochs_per_year) && config.held_back == 0 && reclaimed == 0), EmissionsError::EmissionEnded);
    let ended = config.epochs_ended(now);
    require!(ended > config.next_epoch, EmissionsError::EpochNotOver);

    let first_epoch = config.next_epoch;
    let epochs = ended.checked_sub(first_epoch).ok_or_else(overflow)?.min(MAX_CATCH_UP_EPOCHS);
    config.next_epoch = first_epoch.checked_add(epochs).ok_or_else(overflow)?;

    // Forfeited rewards are unscheduled again before this crank's epochs are accounted,
    // so a year that starts within it already emits its share of them.
    cursor.unscheduled = cursor.unscheduled.checked_add(reclaimed).ok_or_else(overflow)?;
    config.reclaimed = config.reclaimed.checked_add(reclaimed).ok_or_else(overflow)?;

    // Epochs that began before the earning weight appeared (all of them while none earns)
    // were earned by nobody: their emission, with any backlog nobody can now receive,
    // returns to the reserve instead of going to whoever holds weight at this crank.
    let earning = pool.earning_weight > 0;
    let idle_epochs = config.idle_epochs(first_epoch, epochs, pool.earning_since);
    let account = cursor.account_crank(epochs, idle_epochs, config.held_back, earning, &schedule).ok_or_else(overflow)?;
    let (emitted, returned, owed) = (account.emitted, account.returned, account.owed);
    config.cursor = cursor.into();

    // The breaker: no interval of `breaker_window_secs` emits more than the limit.
    let mut breaker: RollingCap = config.breaker.into();
    let room = breaker.room(now, config.params.breaker_window_secs, config.params.breaker_max_mint);
    let paid = owed.min(room);
    let breaker_limited = room < owed;
    let from_reclaimed = paid.min(config.reclaimed);
    config.reclaimed = config.reclaimed.checked_sub(from_reclaimed).ok_or_else(overflow)?;
    let minted = paid.checked_sub(from_reclaimed).ok_or_else(overflow)?;

    let total_minted = config.total_minted.checked_add(minted).ok_or_else(overflow)?;
    require!(total_minted <= config.supply_cap, EmissionsError::SupplyCapExceeded);
    config.total_minted = total_minted;
    breaker.record(paid).ok_or_else(overflow)?;
    config.breaker = breaker.into();
    config.held_back = owed.checked_sub(paid).ok_or_else(overflow)?;

    let seeds = config.signer_seeds();
    if minted > 0 {
        let signer = PdaSigner {
            token_program: &ctx.accounts.token_program.to_account_info(),
            mint: &ctx.accounts.io_mint.to_account_info(),
            authority: &config.to_account_info(),
            seeds: &seeds,
        };
        signer.mint(&ctx.accounts.reward_vault.to_account_info(), minted)?;
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
        paid,
        reclaimed,
    )?;

    emit!(EpochAdvanced {
        first_epoch,
        epochs,
        year: config.cursor.year,
        emitted,
        minted,
        paid,
        returned,
        reclaimed,
        held_back: config.held_back,
        total_minted: config.total_minted,
        breaker_limited,
    });
    Ok(())
}
