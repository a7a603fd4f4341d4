use crate::constants::TREASURY_SEED;
use crate::errors::TreasuryError;
use crate::events::PaymentReceived;
use crate::state::{Asset, TreasuryConfig};
use anchor_lang::prelude::*;
use anchor_spl::token::{transfer_checked, Mint, Token, TokenAccount, TransferChecked};
use io_math::fee_split;

#[derive(Accounts)]
pub struct PayWithIosd<'info> {
    pub payer: Signer<'info>,
    #[account(mut, seeds = [TREASURY_SEED], bump = config.bump)]
    pub config: Box<Account<'info, TreasuryConfig>>,
    #[account(address = config.iosd_mint @ TreasuryError::WrongMint)]
    pub iosd_mint: Box<Account<'info, Mint>>,
    #[account(
        mut,
        constraint = payer_iosd.mint == config.iosd_mint @ TreasuryError::WrongMint,
        constraint = payer_iosd.owner == payer.key() @ TreasuryError::WrongTokenOwner
    )]
    pub payer_iosd: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = config.iosd_vault @ TreasuryError::WrongVault)]
    pub iosd_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = config.pool_vault @ TreasuryError::WrongVault)]
    pub pool_vault: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// A cluster fee in IOSD: `floor(amount x fee_bps / 10,000)` to the treasury, the rest to
/// the buyback pool. `reference` identifies the order off-chain.
pub fn handler(ctx: Context<PayWithIosd>, amount: u64, reference: [u8; 32]) -> Result<()> {
    let overflow = || error!(TreasuryError::ArithmeticOverflow);
    require!(amount > 0, TreasuryError::ZeroAmount);
    let (fee, pool) = fee_split(amount, ctx.accounts.config.params.fee_bps).ok_or_else(overflow)?;
    let decimals = ctx.accounts.iosd_mint.decimals;
    for (to, part) in [(&ctx.accounts.iosd_vault, fee), (&ctx.accounts.pool_vault, pool)] {
        if part == 0 {
            continue;
        }
        transfer_checked(
            CpiContext::new(
                ctx.accounts.token_program.to_account_info(),
                TransferChecked {
                    from: ctx.accounts.payer_iosd.to_account_info(),
                    mint: ctx.accounts.iosd_mint.to_account_info(),
                    to: to.to_account_info(),
                    authority: ctx.accounts.payer.to_account_info(),
                },
            ),
            part,
            decimals,
        )?;
    }
    let config = &mut ctx.accounts.config;
    let totals = &mut config.totals;
    totals.iosd_paid = totals.iosd_paid.checked_add(amount).ok_or_else(overflow)?;
    totals.iosd_fee = totals.iosd_fee.checked_add(fee).ok_or_else(overflow)?;
    totals.iosd_to_pool = totals.iosd_to_pool.checked_add(pool).ok_or_else(overflow)?;
    let period = config.period_mut(Clock::get()?.unix_timestamp);
    period.iosd_paid = period.iosd_paid.checked_add(amount).ok_or_else(overflow)?;
    let index = period.index;
    emit!(PaymentReceived { payer: ctx.accounts.payer.key(), asset: Asset::Iosd, amount, fee, rest: pool, reference, period: index });
    Ok(())
}
