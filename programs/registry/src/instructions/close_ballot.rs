use crate::ballot::Ballot;
use crate::constants::*;
use crate::errors::RegistryError;
use crate::state::RegistryConfig;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CloseBallot<'info> {
    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, RegistryConfig>>,
    #[account(
        mut,
        close = rent_payer,
        has_one = rent_payer @ RegistryError::BallotNotForRecord,
        seeds = [BALLOT_SEED, ballot.merkle_tree.as_ref(), &ballot.leaf_index.to_le_bytes()],
        bump = ballot.bump,
    )]
    pub ballot: Box<Account<'info, Ballot>>,
    /// CHECK: the ballot names it (`has_one`); it only receives lamports.
    #[account(mut)]
    pub rent_payer: UncheckedAccount<'info>,
}

/// Anyone closes a ballot that no attestation applied within `BALLOT_LIFETIME_EPOCHS`
/// of its epoch (a leaf retired or changed after the votes, a quorum that never formed):
/// its rent goes back to whoever opened it. A younger ballot may still be attested late.
pub fn handler(ctx: Context<CloseBallot>) -> Result<()> {
    let now_epoch = ctx.accounts.config.current_epoch(Clock::get()?.unix_timestamp)?;
    let expires = ctx.accounts.ballot.subject.epoch.saturating_add(BALLOT_LIFETIME_EPOCHS);
    require!(now_epoch >= expires, RegistryError::BallotStillOpen);
    Ok(())
}
