use crate::constants::*;
use crate::errors::GovernanceError;
use crate::events::GovernanceInitialized;
use crate::rules::{check_bootstrap, check_instructions};
use crate::state::{GovernanceConfig, GovernanceParams, Proposal, ProposalInstruction, ProposalStatus};
use crate::suite_view::registry_authority;
use anchor_lang::prelude::*;

io_program_common::deployer_accounts!(GovernanceError::NotUpgradeAuthority);

#[derive(Accounts)]
#[instruction(params: GovernanceParams, bootstrap: Vec<ProposalInstruction>)]
pub struct InitializeGovernance<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    /// The program's upgrade authority, checked before any other account is read or created.
    pub deploy: Deployer<'info>,
    /// The registry's current authority (the genesis authority): only the deployer of the
    /// suite can open its DAO, so nobody can front-run genesis with their own parameters.
    pub genesis_authority: Signer<'info>,
    /// CHECK: the registry config; address and owner checked in `suite_view`.
    pub registry_config: UncheckedAccount<'info>,
    #[account(init, payer = payer, space = 8 + GovernanceConfig::INIT_SPACE, seeds = [GOVERNANCE_SEED], bump)]
    pub config: Account<'info, GovernanceConfig>,
    /// CHECK: the DAO's signing PDA; holds nothing.
    #[account(seeds = [DAO_SEED], bump)]
    pub dao: UncheckedAccount<'info>,
    #[account(
        init,
        payer = payer,
        space = Proposal::space("", &bootstrap),
        seeds = [PROPOSAL_SEED, &0u64.to_le_bytes()],
        bump
    )]
    pub bootstrap_proposal: Account<'info, Proposal>,
    pub system_program: Program<'info, System>,
}

/// Opens the DAO with its parameters and the bootstrap proposal (id 0): the DAO PDA
/// accepting the config authorities genesis proposed to it. The bootstrap is queued and
/// executable at once (anyone may execute it within the execution window); it is the only
/// proposal that skips voting, and it can do nothing but accept authorities.
pub fn handler(ctx: Context<InitializeGovernance>, params: GovernanceParams, bootstrap: Vec<ProposalInstruction>) -> Result<()> {
    params.validate()?;
    require_keys_eq!(
        registry_authority(&ctx.accounts.registry_config)?,
        ctx.accounts.genesis_authority.key(),
        GovernanceError::NotRegistryAuthority
    );
    let dao = ctx.accounts.dao.key();
    check_instructions(&bootstrap, &dao)?;
    check_bootstrap(&bootstrap, &dao)?;

    let now = Clock::get()?.unix_timestamp;
    let config = &mut ctx.accounts.config;
    config.authority = dao;
    config.params = params;
    config.proposal_count = 1;
    config.bump = ctx.bumps.config;
    config.dao_bump = ctx.bumps.dao;

    let expires_at = now.checked_add(i64::from(params.execution_window_secs)).ok_or_else(|| error!(GovernanceError::ArithmeticOverflow))?;
    let count = bootstrap.len() as u8;
    ctx.accounts.bootstrap_proposal.set_inner(Proposal {
        id: 0,
        proposer: ctx.accounts.genesis_authority.key(),
        description_hash: [0; 32],
        link: String::new(),
        status: ProposalStatus::Queued,
        opened_at: now,
        voting_ends_at: now,
        stake_at_open: 0,
        params,
        yes: 0,
        no: 0,
        abstain: 0,
        voters: 0,
        executable_at: now,
        expires_at,
        executed_at: 0,
        bump: ctx.bumps.bootstrap_proposal,
        instructions: bootstrap,
    });
    emit!(GovernanceInitialized { dao, params, bootstrap_instructions: count });
    Ok(())
}
