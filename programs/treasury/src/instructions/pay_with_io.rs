use crate::constants::TREASURY_SEED;
use crate::errors::TreasuryError;
use crate::events::PaymentReceived;
use crate::state::{Asset, TreasuryConfig};
use anchor_lang::prelude::*;
use anchor_spl::token::{burn, transfer_checked, Burn, Mint, Token, TokenAccount, TransferChecked};
use io_math::fee_split;

#[derive(Accounts)]
pub struct PayWithIo<'info> {
    pub payer: Signer<'info>,
    #[account(mut, seeds = [TREASURY_SEED], bump = config.bump)]
    pub config: Box<Account<'info, TreasuryConfig>>,
    #[account(mut, address = config.io_mint @ TreasuryError::WrongMint)]
    pub io_mint: Box<Account<'info, Mint>>,
    #[account(
        mut,
        constraint = payer_io.mint == config.io_mint @ TreasuryError::WrongMint,
        constraint = payer_io.owner == payer.key() @ TreasuryError::WrongTokenOwner
    )]
    pub payer_io: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = config.io_vault @ TreasuryError::WrongVault)]
    pub io_vault: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// A cluster fee in $IO: the same protocol share goes to the treasury in $IO and the rest
/// is burned at once, so paying in $IO needs no swap and costs nothing extra.
pub fn handler(ctx: Context<PayWithIo>, amount: u64, reference: [u8; 32]) -> Result<()> {
    let overflow = || error!(TreasuryError::ArithmeticOverflow);
    require!(amount > 0, TreasuryError::ZeroAmount);
    let (fee, burned) = fee_split(amount, ctx.accounts.config.params.fee_bps).ok_or_else(overflow)?;
    let program = ctx.accounts.token_program.to_account_info();
    let payer = ctx.accounts.payer.to_account_info();
    if fee > 0 {
        transfer_checked(
            CpiContext::new(
                program.clone(),
                TransferChecked {
                    from: ctx.accounts.payer_io.to_account_info(),
                    mint: ctx.accounts.io_mint.to_account_info(),
                    to: ctx.accounts.io_vault.to_account_info(),
                    authority: payer.clone(),
                },
            ),
            fee,
            ctx.accounts.io_mint.decimals,
        )?;
    }
    if burned > 0 {
        burn(
            CpiContext::new(
                program,
                Burn { mint: ctx.accounts.io_mint.to_account_info(), from: ctx.accounts.payer_io.to_account_info(), authority: payer },
            ),
            burned,
        )?;
    }
    let config = &mut ctx.accounts.config;
    let totals = &mut config.totals;
    totals.io_paid = totals.io_paid.checked_add(amount).ok_or_else(overflow)?;
    totals.io_fee = totals.io_fee.checked_add(fee).ok_or_else(overflow)?;
    totals.io_burned_from_payments = totals.io_burned_from_payments.checked_add(burned).ok_or_else(overflow)?;
    let period = config.period_mut(Clock::get()?.unix_timestamp);
    period.io_paid = period.io_paid.checked_add(amount).ok_or_else(overflow)?;
    period.io_burned = period.io_burned.checked_add(burned).ok_or_else(overflow)?;
    let index = period.index;
    emit!(PaymentReceived { payer: ctx.accounts.payer.key(), asset: Asset::Io, amount, fee, rest: burned, reference, period: index });
    Ok(())
}
