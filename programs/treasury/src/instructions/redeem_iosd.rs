use crate::constants::TREASURY_SEED;
use crate::errors::TreasuryError;
use crate::events::IosdRedeemed;
use crate::state::TreasuryConfig;
use anchor_lang::prelude::*;
use anchor_spl::token::{burn, Burn, Mint, Token, TokenAccount};

#[derive(Accounts)]
pub struct RedeemIosd<'info> {
    pub holder: Signer<'info>,
    #[account(mut, seeds = [TREASURY_SEED], bump = config.bump)]
    pub config: Box<Account<'info, TreasuryConfig>>,
    #[account(mut, address = config.iosd_mint @ TreasuryError::WrongMint)]
    pub iosd_mint: Box<Account<'info, Mint>>,
    #[account(
        mut,
        constraint = holder_iosd.mint == config.iosd_mint @ TreasuryError::WrongMint,
        constraint = holder_iosd.owner == holder.key() @ TreasuryError::WrongTokenOwner
    )]
    pub holder_iosd: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// Burns IOSD; the gateway pays the dollars out against the `IosdRedeemed` event and its
/// `reference` (the holder's off-chain payout reference).
pub fn handler(ctx: Context<RedeemIosd>, amount: u64, reference: [u8; 32]) -> Result<()> {
    require!(amount > 0, TreasuryError::ZeroAmount);
    burn(
        CpiContext::new(
            ctx.accounts.token_program.to_account_info(),
            Burn {
                mint: ctx.accounts.iosd_mint.to_account_info(),
                from: ctx.accounts.holder_iosd.to_account_info(),
                authority: ctx.accounts.holder.to_account_info(),
            },
        ),
        amount,
    )?;
    let totals = &mut ctx.accounts.config.totals;
    totals.iosd_redeemed = totals.iosd_redeemed.checked_add(amount).ok_or_else(|| error!(TreasuryError::ArithmeticOverflow))?;
    emit!(IosdRedeemed { holder: ctx.accounts.holder.key(), amount, reference });
    Ok(())
}
