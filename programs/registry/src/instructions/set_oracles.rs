use crate::constants::CONFIG_SEED;
use crate::errors::RegistryError;
use crate::events::OraclesSet;
use crate::quorum::validate_oracle_set;
use crate::state::RegistryConfig;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetOracles<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump, has_one = authority @ RegistryError::Unauthorized)]
    pub config: Account<'info, RegistryConfig>,
}

/// Changes the oracle set by difference: `remove` must all be oracles now and `add` must
/// all not be, and the threshold must still be `expected_threshold`. Two proposals that
/// add different oracles both apply; one written against a set that has since changed
/// under it is refused (`StaleParams`) instead of putting the old set back.
pub fn handler(ctx: Context<SetOracles>, remove: Vec<Pubkey>, add: Vec<Pubkey>, expected_threshold: u8, threshold: u8) -> Result<()> {
    let config = &mut ctx.accounts.config;
    require!(config.threshold == expected_threshold, RegistryError::StaleParams);
    require!(remove.iter().all(|key| config.oracles.contains(key)), RegistryError::StaleParams);
    require!(add.iter().all(|key| !config.oracles.contains(key)), RegistryError::StaleParams);
    let mut oracles: Vec<Pubkey> = config.oracles.iter().filter(|key| !remove.contains(key)).copied().collect();
    oracles.extend_from_slice(&add);
    validate_oracle_set(&oracles, threshold)?;
    config.oracles = oracles.clone();
    config.threshold = threshold;
    emit!(OraclesSet { oracles, threshold });
    Ok(())
}
