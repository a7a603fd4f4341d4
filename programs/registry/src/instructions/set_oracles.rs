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

pub fn handler(ctx: Context<SetOracles>, oracles: Vec<Pubkey>, threshold: u8) -> Result<()> {
    validate_oracle_set(&oracles, threshold)?;
    let config = &mut ctx.accounts.config;
    config.oracles = oracles.clone();
    config.threshold = threshold;
    emit!(OraclesSet { oracles, threshold });
    Ok(())
}
