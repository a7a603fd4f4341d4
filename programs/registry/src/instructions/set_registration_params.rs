use crate::constants::*;
use crate::errors::RegistryError;
use crate::events::RegistrationParamsSet;
use crate::state::{RegistrationParamsChange, RegistryConfig};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetRegistrationParams<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump, has_one = authority @ RegistryError::Unauthorized)]
    pub config: Account<'info, RegistryConfig>,
}

/// Sets the deposit, the pending cap and the shape of trees anyone may open. A new
/// deposit applies to registrations from now on; each node keeps the one it paid. Only
/// the fields the change names move, each still at the value it expects.
pub fn handler(ctx: Context<SetRegistrationParams>, expected: RegistrationParamsChange, change: RegistrationParamsChange) -> Result<()> {
    let params = RegistrationParamsChange::apply(&ctx.accounts.config.registration, &expected, &change)?;
    require!(params.deposit_lamports <= MAX_REGISTRATION_DEPOSIT_LAMPORTS, RegistryError::InvalidRegistrationParams);
    require!(params.max_pending_per_operator > 0, RegistryError::InvalidRegistrationParams);
    require!(params.open_tree_fill_bps <= 10_000, RegistryError::InvalidRegistrationParams);
    if params.tree_max_depth > 0 {
        require!(params.tree_max_depth <= 30, RegistryError::InvalidRegistrationParams);
        require!(params.tree_canopy_depth < params.tree_max_depth, RegistryError::InvalidRegistrationParams);
        // canopy < depth, checked just above.
        require!(params.tree_max_depth.saturating_sub(params.tree_canopy_depth) <= MAX_PROOF_NODES, RegistryError::CanopyTooShallow);
    }
    ctx.accounts.config.registration = params;
    emit!(RegistrationParamsSet { params });
    Ok(())
}
