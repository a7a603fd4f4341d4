//! What a proposal may carry. Checked when it is created, so a stored proposal is always
//! one the DAO PDA may sign.

use crate::constants::*;
use crate::errors::GovernanceError;
use crate::state::ProposalInstruction;
use anchor_lang::prelude::*;
use anchor_lang::Discriminator;

/// The size limits, and the DAO PDA as the only signer: nobody can smuggle another
/// signer's consent into a proposal, and the executor's own signature is never lent.
pub fn check_instructions(instructions: &[ProposalInstruction], dao: &Pubkey) -> Result<()> {
    require!((1..=MAX_PROPOSAL_INSTRUCTIONS).contains(&instructions.len()), GovernanceError::InvalidInstructionCount);
    check_each_instruction(instructions, dao)
}

/// The per-instruction half of `check_instructions`, for the parts of a draft.
pub fn check_each_instruction(instructions: &[ProposalInstruction], dao: &Pubkey) -> Result<()> {
    for ix in instructions {
        require!(
            ix.accounts.len() <= MAX_INSTRUCTION_ACCOUNTS && ix.data.len() <= MAX_INSTRUCTION_DATA,
            GovernanceError::InstructionTooLarge
        );
        require!(ix.accounts.iter().all(|a| !a.is_signer || a.pubkey == *dao), GovernanceError::UnexpectedSigner);
    }
    Ok(())
}

/// A voted proposal may call this program only to set the governance parameters: any
/// other self-call (voting, queueing, executing another proposal) would let the DAO PDA
/// act on proposals outside their own lifecycle.
pub fn check_governance_calls(instructions: &[ProposalInstruction]) -> Result<()> {
    for ix in instructions.iter().filter(|ix| ix.program_id == crate::ID) {
        require!(ix.data.starts_with(crate::instruction::SetGovernanceParams::DISCRIMINATOR), GovernanceError::ForbiddenGovernanceCall);
    }
    Ok(())
}

/// The bootstrap proposal (created with the DAO, executed at genesis without a vote) may
/// only make the DAO PDA accept the config authority of one of the suite's programs: it
/// grants the DAO what the genesis authority already proposed, nothing else.
pub fn check_bootstrap(instructions: &[ProposalInstruction], dao: &Pubkey) -> Result<()> {
    let suite = [io_registry::ID, io_staking::ID, io_emissions::ID, io_treasury::ID];
    // The four programs name the instruction alike, so they share its discriminator.
    let accept = io_staking::instruction::AcceptAuthority::DISCRIMINATOR;
    for ix in instructions {
        let ok = suite.contains(&ix.program_id)
            && ix.data == accept
            && ix.accounts.len() == 2
            && ix.accounts[0].pubkey == *dao
            && ix.accounts[0].is_signer
            && !ix.accounts[1].is_signer;
        require!(ok, GovernanceError::NotAnAuthorityAcceptance);
    }
    Ok(())
}
