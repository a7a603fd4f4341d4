use crate::constants::TREASURY_SEED;
use crate::errors::TreasuryError;
use crate::events::AuthorityAccepted;
use crate::state::TreasuryConfig;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct AcceptAuthority<'info> {
    pub new_authority: Signer<'info>,
    #[account(mut, seeds = [TREASURY_SEED], bump = config.bump)]
    pub config: Box<Account<'info, TreasuryConfig>>,
}

pub fn handler(ctx: Context<AcceptAuthority>) -> Result<()> {
    let config = &mut ctx.accounts.config;
    let pending = config.pending_authority.ok_or_else(|| error!(TreasuryError::NoPendingAuthority))?;
    require_keys_eq!(pending, ctx.accounts.new_authority.key(), TreasuryError::NotPendingAuthority);
    let previous = config.authority;
    config.authority = pending;
    config.pending_authority = None;
    // The gateway is a role the authority grants. One the outgoing authority kept for
    // itself (the genesis key, until a gateway is named) goes with the authority, so the
    // handover to the DAO leaves no human key able to mint IOSD.
    if config.params.gateway == previous {
        config.params.gateway = pending;
    }
    emit!(AuthorityAccepted { previous, authority: pending, gateway: config.params.gateway });
    Ok(())
}
