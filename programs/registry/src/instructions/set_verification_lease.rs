use crate::constants::*;
use crate::errors::RegistryError;
use crate::events::VerificationLeaseSet;
use crate::state::RegistryConfig;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetVerificationLease<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump, has_one = authority @ RegistryError::Unauthorized)]
    pub config: Account<'info, RegistryConfig>,
}

/// Sets how many epochs a verified attestation counts for. Leases already granted keep
/// their end; attestations from now on get the new length. Refused when the lease is no
/// longer the length the change was written against.
pub fn handler(ctx: Context<SetVerificationLease>, expected_lease_epochs: u64, lease_epochs: u64) -> Result<()> {
    require!(ctx.accounts.config.lease_epochs == expected_lease_epochs, RegistryError::StaleParams);
    require!((1..=MAX_LEASE_EPOCHS).contains(&lease_epochs), RegistryError::InvalidLease);
    ctx.accounts.config.lease_epochs = lease_epochs;
    emit!(VerificationLeaseSet { lease_epochs });
    Ok(())
}
