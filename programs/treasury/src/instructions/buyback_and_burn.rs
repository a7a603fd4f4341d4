use crate::constants::TREASURY_SEED;
use crate::errors::TreasuryError;
use crate::events::BuybackFilled;
use crate::price::checked_price;
use crate::state::TreasuryConfig;
use anchor_lang::prelude::*;
use anchor_spl::token::{burn, Burn, Mint, Token, TokenAccount};
use io_math::min_io_for_fill;
use io_program_common::token::PdaSigner;

#[derive(Accounts)]
pub struct BuybackAndBurn<'info> {
    pub keeper: Signer<'info>,
    #[account(mut, seeds = [TREASURY_SEED], bump = config.bump)]
    pub config: Box<Account<'info, TreasuryConfig>>,
    #[account(mut, address = config.io_mint @ TreasuryError::WrongMint)]
    pub io_mint: Box<Account<'info, Mint>>,
    #[account(address = config.iosd_mint @ TreasuryError::WrongMint)]
    pub iosd_mint: Box<Account<'info, Mint>>,
    #[account(
        mut,
        constraint = keeper_io.mint == config.io_mint @ TreasuryError::WrongMint,
        constraint = keeper_io.owner == keeper.key() @ TreasuryError::WrongTokenOwner
    )]
    pub keeper_io: Box<Account<'info, TokenAccount>>,
    /// Where the filled IOSD goes: any IOSD account but the treasury's own vaults (naming
    /// the pool would record a spend that never left it; naming the fee vault would move
    /// buyback money into the grant vault).
    #[account(
        mut,
        constraint = keeper_iosd.mint == config.iosd_mint @ TreasuryError::WrongMint,
        constraint = keeper_iosd.key() != config.pool_vault @ TreasuryError::VaultAsDestination,
        constraint = keeper_iosd.key() != config.iosd_vault @ TreasuryError::VaultAsDestination
    )]
    pub keeper_iosd: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = config.pool_vault @ TreasuryError::WrongVault)]
    pub pool_vault: Box<Account<'info, TokenAccount>>,
    /// CHECK: a Pyth `PriceUpdateV2`; owner, type, feed, verification, age and confidence
    /// are checked in `price::checked_price`.
    pub price_update: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

/// A keeper hands in `io_amount` $IO bought on the market and takes `iosd_amount` IOSD from
/// the pool; the program burns exactly the $IO it received. The IO must be at least what
/// the IOSD buys at the oracle's IO/USD price less the allowed slippage, and one fill takes
/// at most `max_fill` IOSD, so no keeper can drain the pool at a bad price.
pub fn handler(ctx: Context<BuybackAndBurn>, iosd_amount: u64, io_amount: u64) -> Result<()> {
    let overflow = || error!(TreasuryError::ArithmeticOverflow);
    require!(iosd_amount > 0 && io_amount > 0, TreasuryError::ZeroAmount);
    let params = ctx.accounts.config.params;
    require!(iosd_amount <= params.max_fill, TreasuryError::FillAboveCap);
    require!(iosd_amount <= ctx.accounts.pool_vault.amount, TreasuryError::InsufficientPool);
    let now = Clock::get()?.unix_timestamp;
    let (price, publish_time) = checked_price(&ctx.accounts.price_update, &params, now)?;
    let min_io = min_io_for_fill(iosd_amount, &price, params.max_slippage_bps).ok_or_else(overflow)?;
    require!(io_amount >= min_io, TreasuryError::SlippageExceeded);

    let program = ctx.accounts.token_program.to_account_info();
    burn(
        CpiContext::new(
            program.clone(),
            Burn {
                mint: ctx.accounts.io_mint.to_account_info(),
                from: ctx.accounts.keeper_io.to_account_info(),
                authority: ctx.accounts.keeper.to_account_info(),
            },
        ),
        io_amount,
    )?;
    let config = &ctx.accounts.config;
    let seeds = config.signer_seeds();
    let signer = PdaSigner {
        token_program: &program,
        mint: &ctx.accounts.iosd_mint.to_account_info(),
        authority: &config.to_account_info(),
        seeds: &seeds,
    };
    signer.transfer(
        &ctx.accounts.pool_vault.to_account_info(),
        &ctx.accounts.keeper_iosd.to_account_info(),
        iosd_amount,
        ctx.accounts.iosd_mint.decimals,
    )?;

    let config = &mut ctx.accounts.config;
    let totals = &mut config.totals;
    totals.iosd_spent_on_buybacks = totals.iosd_spent_on_buybacks.checked_add(iosd_amount).ok_or_else(overflow)?;
    totals.io_bought_and_burned = totals.io_bought_and_burned.checked_add(io_amount).ok_or_else(overflow)?;
    let period = config.period_mut(now);
    period.io_burned = period.io_burned.checked_add(io_amount).ok_or_else(overflow)?;
    let index = period.index;
    emit!(BuybackFilled {
        keeper: ctx.accounts.keeper.key(),
        iosd_paid: iosd_amount,
        io_burned: io_amount,
        min_io,
        price: price.price,
        exponent: price.exponent,
        publish_time,
        period: index,
    });
    Ok(())
}
