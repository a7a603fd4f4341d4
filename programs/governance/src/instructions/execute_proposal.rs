use crate::constants::*;
use crate::errors::GovernanceError;
use crate::events::ProposalExecuted;
use crate::state::{GovernanceConfig, Proposal, ProposalStatus};
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::program::invoke_signed;

#[derive(Accounts)]
pub struct ExecuteProposal<'info> {
    #[account(mut, seeds = [PROPOSAL_SEED, &proposal.id.to_le_bytes()], bump = proposal.bump)]
    pub proposal: Account<'info, Proposal>,
    /// Read only here: a proposal may rewrite it through `set_governance_params`.
    #[account(seeds = [GOVERNANCE_SEED], bump = config.bump)]
    pub config: Account<'info, GovernanceConfig>,
    /// CHECK: the DAO's signing PDA (seeds checked).
    #[account(seeds = [DAO_SEED], bump = config.dao_bump)]
    pub dao: UncheckedAccount<'info>,
    // Remaining accounts: every account and program the proposal's instructions name.
}

/// Anyone executes a queued proposal between its timelock and its expiry: each
/// instruction in order, signed by the DAO PDA. The proposal is marked executed before
/// the first call, so nothing inside can execute it again; if any call fails, the whole
/// transaction fails and the proposal stays queued, executable again until it expires.
pub fn handler<'info>(ctx: Context<'_, '_, '_, 'info, ExecuteProposal<'info>>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let proposal = &mut ctx.accounts.proposal;
    require!(proposal.status != ProposalStatus::Executed, GovernanceError::AlreadyExecuted);
    require!(proposal.status == ProposalStatus::Queued, GovernanceError::ProposalNotQueued);
    require!(now >= proposal.executable_at, GovernanceError::TimelockNotElapsed);
    require!(now < proposal.expires_at, GovernanceError::ProposalExpired);

    proposal.status = ProposalStatus::Executed;
    proposal.executed_at = now;
    proposal.exit(&crate::ID)?;

    let dao = ctx.accounts.dao.to_account_info();
    let seeds: &[&[u8]] = &[DAO_SEED, std::slice::from_ref(&ctx.accounts.config.dao_bump)];
    let find = |key: &Pubkey| -> Result<AccountInfo<'info>> {
        if *key == dao.key() {
            return Ok(dao.clone());
        }
        ctx.remaining_accounts.iter().find(|a| a.key == key).cloned().ok_or_else(|| error!(GovernanceError::MissingAccount))
    };
    for stored in &proposal.instructions {
        let metas =
            stored.accounts.iter().map(|a| AccountMeta { pubkey: a.pubkey, is_signer: a.is_signer, is_writable: a.is_writable }).collect();
        let mut infos = stored.accounts.iter().map(|a| find(&a.pubkey)).collect::<Result<Vec<_>>>()?;
        infos.push(find(&stored.program_id)?);
        let ix = Instruction { program_id: stored.program_id, accounts: metas, data: stored.data.clone() };
        invoke_signed(&ix, &infos, &[seeds])?;
    }
    emit!(ProposalExecuted { id: proposal.id, instructions: proposal.instructions.len() as u8, executed_at: now });
    Ok(())
}
