//! Instruction builders for the governance program, helpers that turn a parameter change
//! into proposal instructions, and a readable view of a proposal.

use crate::pda;
use anchor_lang::{InstructionData, ToAccountMetas};
use io_governance::{
    accounts, instruction, CreateProposalArgs, GovernanceParams, GovernanceParamsChange, Proposal, ProposalAccount, ProposalInstruction,
    ProposalStatus, VoteChoice,
};
use io_math::{proposal_outcome, Outcome, Votes};
use io_registry::GpuModelArgs;
use io_treasury::{Asset, TreasuryParams, TreasuryParamsChange};
use solana_sdk::instruction::{AccountMeta, Instruction};
use solana_sdk::pubkey::Pubkey;
use solana_system_interface::program as system_program;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: io_governance::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

/// An instruction as a proposal stores it.
pub fn to_proposal_instruction(ix: &Instruction) -> ProposalInstruction {
    ProposalInstruction {
        program_id: ix.program_id,
        accounts: ix
            .accounts
            .iter()
            .map(|m| ProposalAccount { pubkey: m.pubkey, is_signer: m.is_signer, is_writable: m.is_writable })
            .collect(),
        data: ix.data.clone(),
    }
}

/// The DAO accepting the config authority of registry, staking, emissions and treasury:
/// the bootstrap proposal genesis executes once it has proposed the DAO everywhere.
pub fn bootstrap_instructions() -> Vec<ProposalInstruction> {
    let dao = pda::dao();
    [
        crate::registry::accept_authority(&dao),
        crate::staking::accept_authority(&dao),
        crate::emissions::accept_authority(&dao),
        crate::treasury::accept_authority(&dao),
    ]
    .iter()
    .map(to_proposal_instruction)
    .collect()
}

/// Opens the DAO; `deployer` must be the program's upgrade authority and
/// `genesis_authority` the registry's current authority.
pub fn initialize_governance(payer: &Pubkey, deployer: &Pubkey, genesis_authority: &Pubkey, params: GovernanceParams) -> Instruction {
    build(
        accounts::InitializeGovernance {
            payer: *payer,
            deploy: accounts::Deployer { deployer: *deployer, program_data: pda::program_data(&io_governance::ID) },
            genesis_authority: *genesis_authority,
            registry_config: pda::registry_config(),
            config: pda::governance_config(),
            dao: pda::dao(),
            bootstrap_proposal: pda::proposal(0),
            system_program: system_program::ID,
        },
        instruction::InitializeGovernance { params, bootstrap: bootstrap_instructions() },
    )
}

fn proposal_args(description_hash: [u8; 32], link: &str, actions: &[Instruction]) -> CreateProposalArgs {
    CreateProposalArgs { description_hash, link: link.to_string(), instructions: actions.iter().map(to_proposal_instruction).collect() }
}

/// Opens proposal `id` (the config's `proposal_count`) carrying `actions`, all in one
/// transaction (see `propose` for proposals that do not fit one).
pub fn create_proposal(
    payer: &Pubkey,
    proposer: &Pubkey,
    id: u64,
    description_hash: [u8; 32],
    link: &str,
    actions: &[Instruction],
) -> Instruction {
    let args = proposal_args(description_hash, link, actions);
    build(
        accounts::CreateProposal {
            payer: *payer,
            proposer: *proposer,
            config: pda::governance_config(),
            proposer_stake: pda::operator_stake(proposer),
            staking_config: pda::staking_config(),
            proposal: pda::proposal(id),
            system_program: system_program::ID,
        },
        instruction::CreateProposal { args },
    )
}

/// Starts proposal `id` as a draft of `proposer`'s carrying the first `actions`.
pub fn draft_proposal(
    payer: &Pubkey,
    proposer: &Pubkey,
    id: u64,
    description_hash: [u8; 32],
    link: &str,
    actions: &[Instruction],
) -> Instruction {
    build(
        accounts::DraftProposal {
            payer: *payer,
            proposer: *proposer,
            config: pda::governance_config(),
            proposal: pda::proposal(id),
            system_program: system_program::ID,
        },
        instruction::DraftProposal { args: proposal_args(description_hash, link, actions) },
    )
}

/// Appends `actions` to draft `id`.
pub fn append_to_proposal(payer: &Pubkey, proposer: &Pubkey, id: u64, actions: &[Instruction]) -> Instruction {
    build(
        accounts::AppendToProposal {
            payer: *payer,
            proposer: *proposer,
            config: pda::governance_config(),
            proposal: pda::proposal(id),
            system_program: system_program::ID,
        },
        instruction::AppendToProposal { instructions: actions.iter().map(to_proposal_instruction).collect() },
    )
}

/// Opens draft `id` for voting.
pub fn open_proposal(proposer: &Pubkey, id: u64) -> Instruction {
    build(
        accounts::OpenProposal {
            proposer: *proposer,
            config: pda::governance_config(),
            proposer_stake: pda::operator_stake(proposer),
            staking_config: pda::staking_config(),
            proposal: pda::proposal(id),
        },
        instruction::OpenProposal {},
    )
}

/// Bytes of a transaction carrying `ix` alone, paid by `payer` (signatures included).
pub fn transaction_size(payer: &Pubkey, ix: &Instruction) -> usize {
    let message = solana_sdk::message::Message::new(std::slice::from_ref(ix), Some(payer));
    1 + 64 * usize::from(message.header.num_required_signatures) + message.serialize().len()
}

/// The instructions that open proposal `id` with `actions`, one transaction each, in
/// order: `create_proposal` alone when it fits a packet; otherwise a draft with the
/// actions that fit, as many appends as the rest need, and `open_proposal`. Each
/// transaction is signed by `payer` and `proposer`. Refused (`None`) when one action alone
/// cannot fit an append.
pub fn propose(
    payer: &Pubkey,
    proposer: &Pubkey,
    id: u64,
    description_hash: [u8; 32],
    link: &str,
    actions: &[Instruction],
) -> Option<Vec<Instruction>> {
    let fits = |ix: &Instruction| transaction_size(payer, ix) <= solana_sdk::packet::PACKET_DATA_SIZE;
    let whole = create_proposal(payer, proposer, id, description_hash, link, actions);
    if fits(&whole) {
        return Some(vec![whole]);
    }
    // The longest prefix that fits each transaction, greedily.
    let longest = |from: usize, make: &dyn Fn(&[Instruction]) -> Instruction| {
        (from..=actions.len()).rev().find(|&end| fits(&make(&actions[from..end]))).unwrap_or(from)
    };
    let mut out = vec![];
    let mut done = longest(0, &|part| draft_proposal(payer, proposer, id, description_hash, link, part));
    out.push(draft_proposal(payer, proposer, id, description_hash, link, &actions[..done]));
    while done < actions.len() {
        let end = longest(done, &|part| append_to_proposal(payer, proposer, id, part));
        if end == done {
            return None;
        }
        out.push(append_to_proposal(payer, proposer, id, &actions[done..end]));
        done = end;
    }
    out.push(open_proposal(proposer, id));
    Some(out)
}

pub fn cast_vote(voter: &Pubkey, id: u64, choice: VoteChoice) -> Instruction {
    let proposal = pda::proposal(id);
    build(
        accounts::CastVote {
            voter: *voter,
            proposal,
            voter_stake: pda::operator_stake(voter),
            vote_record: pda::vote_record(&proposal, voter),
            system_program: system_program::ID,
        },
        instruction::CastVote { choice },
    )
}

/// Returns `voter`'s vote record rent on proposal `id` to the voter (after voting ended).
pub fn close_vote_record(voter: &Pubkey, id: u64) -> Instruction {
    let proposal = pda::proposal(id);
    build(
        accounts::CloseVoteRecord { voter: *voter, proposal, vote_record: pda::vote_record(&proposal, voter) },
        instruction::CloseVoteRecord {},
    )
}

pub fn cancel_proposal(proposer: &Pubkey, id: u64) -> Instruction {
    build(accounts::CancelProposal { proposer: *proposer, proposal: pda::proposal(id) }, instruction::CancelProposal {})
}

pub fn queue_proposal(id: u64) -> Instruction {
    build(accounts::QueueProposal { proposal: pda::proposal(id) }, instruction::QueueProposal {})
}

/// Executes proposal `id`, passing every account and program its instructions name (with
/// their writability; nothing but the DAO PDA signs, and the program signs for it).
pub fn execute_proposal(id: u64, instructions: &[ProposalInstruction]) -> Instruction {
    let mut ix = build(
        accounts::ExecuteProposal { proposal: pda::proposal(id), config: pda::governance_config(), dao: pda::dao() },
        instruction::ExecuteProposal {},
    );
    let dao = pda::dao();
    // The DAO PDA is writable when an action moves its lamports (e.g. it pays rent).
    let dao_writable = instructions.iter().flat_map(|i| &i.accounts).any(|a| a.pubkey == dao && a.is_writable);
    if let Some(meta) = ix.accounts.iter_mut().find(|m| m.pubkey == dao) {
        meta.is_writable |= dao_writable;
    }
    let mut extra: Vec<AccountMeta> = vec![];
    let mut add = |key: Pubkey, writable: bool| {
        if key == dao {
            return;
        }
        match extra.iter_mut().find(|m| m.pubkey == key) {
            Some(meta) => meta.is_writable |= writable,
            None => extra.push(AccountMeta { pubkey: key, is_signer: false, is_writable: writable }),
        }
    };
    for stored in instructions {
        for account in &stored.accounts {
            add(account.pubkey, account.is_writable);
        }
        add(stored.program_id, false);
    }
    ix.accounts.extend(extra);
    ix
}

/// `set_governance_params`, signed by the DAO: for a proposal. Names only the fields
/// `wanted` changes from `current` (refused with `StaleParams` if one of them changes
/// before it runs).
pub fn set_governance_params(current: &GovernanceParams, wanted: &GovernanceParams) -> Instruction {
    let (expected, change) = GovernanceParamsChange::between(current, wanted);
    build(
        accounts::SetGovernanceParams { authority: pda::dao(), config: pda::governance_config() },
        instruction::SetGovernanceParams { expected, change },
    )
}

/// Proposal actions: parameter changes of the suite, each an instruction the DAO PDA signs.
pub mod actions {
    use super::*;

    /// "Set the protocol fee from its `current` value to `fee_bps`": the action names the
    /// fee alone, so it leaves every other treasury parameter as it will stand then.
    pub fn set_fee_bps(current: u16, fee_bps: u16) -> Instruction {
        let expected = TreasuryParamsChange { fee_bps: Some(current), ..Default::default() };
        let change = TreasuryParamsChange { fee_bps: Some(fee_bps), ..Default::default() };
        crate::treasury::set_treasury_params_change(&pda::dao(), expected, change)
    }

    /// "Change the treasury parameters from `current` to `wanted`" (the differing fields).
    pub fn set_treasury_params(current: &TreasuryParams, wanted: &TreasuryParams) -> Instruction {
        crate::treasury::set_treasury_params(&pda::dao(), current, wanted)
    }

    /// "Veto slash proposal `id` against `operator`".
    pub fn veto_slash(operator: &Pubkey, id: u64) -> Instruction {
        crate::staking::veto_slash(&pda::dao(), operator, id)
    }

    /// "Grant `amount` of `asset` from the treasury to `recipient`" (a token account).
    pub fn grant(io_mint: &Pubkey, asset: Asset, recipient: &Pubkey, amount: u64) -> Instruction {
        crate::treasury::grant(&pda::dao(), io_mint, asset, recipient, amount)
    }

    /// "Add GPU model `args` to the catalogue".
    pub fn add_gpu_model(args: GpuModelArgs) -> Instruction {
        crate::registry::add_gpu_model(&pda::dao(), args)
    }

    /// "Change the oracle set and its threshold from `current` to `wanted`".
    pub fn set_oracles(current: (&[Pubkey], u8), wanted: (&[Pubkey], u8)) -> Instruction {
        crate::registry::set_oracles(&pda::dao(), current, wanted)
    }

    /// "Change the staking parameters (tier minimums, multipliers, slashing)".
    pub fn set_staking_params(
        treasury: Option<&Pubkey>,
        current: &io_staking::StakingParams,
        wanted: &io_staking::StakingParams,
    ) -> Instruction {
        crate::staking::set_params(&pda::dao(), treasury, current, wanted)
    }

    /// "Change the emission decay and the mint-rate breaker".
    pub fn set_emission_params(current: &io_emissions::EmissionParams, wanted: &io_emissions::EmissionParams) -> Instruction {
        crate::emissions::set_emission_params(&pda::dao(), current, wanted)
    }

    /// "Add `amount` of the cap's unminted rest to the emission reserve" (written against
    /// the reserve as it is now, `expected_reserve`).
    pub fn extend_emission_reserve(expected_reserve: u64, amount: u64) -> Instruction {
        crate::emissions::extend_reserve(&pda::dao(), expected_reserve, amount)
    }

    /// "Change the DAO's own parameters".
    pub fn set_governance_params(current: &GovernanceParams, wanted: &GovernanceParams) -> Instruction {
        super::set_governance_params(current, wanted)
    }

    /// "Change the registration deposit, pending cap or open-tree shape".
    pub fn set_registration_params(current: &io_registry::RegistrationParams, wanted: &io_registry::RegistrationParams) -> Instruction {
        crate::registry::set_registration_params(&pda::dao(), current, wanted)
    }

    /// "Change the verification lease".
    pub fn set_verification_lease(current: u64, lease_epochs: u64) -> Instruction {
        crate::registry::set_verification_lease(&pda::dao(), current, lease_epochs)
    }
}

/// Where a proposal stands at `now`, including what the chain has not recorded yet (a
/// vote that has ended but not been queued, a queue that has expired).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Being written by its author; not open for voting yet.
    Draft,
    Voting,
    /// Voting is over and it passed: anyone may queue it.
    Succeeded,
    /// Voting is over and it failed (recorded or not).
    Defeated,
    Cancelled,
    /// Queued, timelock running.
    Queued,
    /// Timelock over, inside the execution window.
    Executable,
    Executed,
    /// Queued but not executed within its window.
    Expired,
}

pub fn stage(p: &Proposal, now: i64) -> Stage {
    match p.status {
        ProposalStatus::Voting if now < p.voting_ends_at => Stage::Voting,
        ProposalStatus::Voting => match outcome(p) {
            Outcome::Passed => Stage::Succeeded,
            _ => Stage::Defeated,
        },
        ProposalStatus::Defeated => Stage::Defeated,
        ProposalStatus::Cancelled => Stage::Cancelled,
        ProposalStatus::Queued if now >= p.expires_at => Stage::Expired,
        ProposalStatus::Queued if now >= p.executable_at => Stage::Executable,
        ProposalStatus::Queued => Stage::Queued,
        ProposalStatus::Executed => Stage::Executed,
        ProposalStatus::Draft => Stage::Draft,
    }
}

/// The vote's result with the tally as it stands.
pub fn outcome(p: &Proposal) -> Outcome {
    let votes = Votes { yes: p.yes, no: p.no, abstain: p.abstain };
    proposal_outcome(votes, p.stake_at_open, p.params.quorum_bps, p.params.approval_bps)
}

/// Names the instruction a proposal carries, for humans: `program.instruction`.
pub fn describe_instruction(ix: &ProposalInstruction) -> String {
    use anchor_lang::Discriminator;
    let program = match ix.program_id {
        id if id == io_registry::ID => "registry",
        id if id == io_staking::ID => "staking",
        id if id == io_emissions::ID => "emissions",
        id if id == io_treasury::ID => "treasury",
        id if id == io_governance::ID => "governance",
        _ => "unknown program",
    };
    let known: [(&[u8], &str); 13] = [
        (io_treasury::instruction::SetTreasuryParams::DISCRIMINATOR, "set_treasury_params"),
        (io_treasury::instruction::Grant::DISCRIMINATOR, "grant"),
        (io_staking::instruction::VetoSlash::DISCRIMINATOR, "veto_slash"),
        (io_staking::instruction::SetParams::DISCRIMINATOR, "set_params"),
        (io_staking::instruction::AcceptAuthority::DISCRIMINATOR, "accept_authority"),
        (io_staking::instruction::ProposeAuthority::DISCRIMINATOR, "propose_authority"),
        (io_registry::instruction::AddGpuModel::DISCRIMINATOR, "add_gpu_model"),
        (io_registry::instruction::UpdateGpuModel::DISCRIMINATOR, "update_gpu_model"),
        (io_registry::instruction::RetireGpuModel::DISCRIMINATOR, "retire_gpu_model"),
        (io_registry::instruction::SetOracles::DISCRIMINATOR, "set_oracles"),
        (io_emissions::instruction::SetEmissionParams::DISCRIMINATOR, "set_emission_params"),
        (io_emissions::instruction::ExtendReserve::DISCRIMINATOR, "extend_reserve"),
        (io_governance::instruction::SetGovernanceParams::DISCRIMINATOR, "set_governance_params"),
    ];
    let name = known.iter().find(|(d, _)| ix.data.starts_with(d)).map(|(_, n)| *n).unwrap_or("instruction");
    format!("{program}.{name} ({} accounts, {} bytes)", ix.accounts.len(), ix.data.len())
}

/// The hash a proposal's description is committed to (sha256 of the text).
pub fn description_hash(text: &str) -> [u8; 32] {
    anchor_lang::solana_program::hash::hash(text.as_bytes()).to_bytes()
}
