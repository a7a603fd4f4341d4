//! Instruction builders for every staking instruction.

use crate::pda;
use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use io_staking::{accounts, instruction, ProposeSlashArgs, SlashReason, StakingParams, StakingParamsChange};
use solana_sdk::instruction::{AccountMeta, Instruction};
use solana_sdk::pubkey::Pubkey;
use solana_system_interface::program as system_program;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: io_staking::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

/// Creates the staking config, its vault and its reward vault; the emissions program's
/// config PDA is the reward distributor.
/// `deployer` must be the program's upgrade authority.
pub fn initialize_staking(
    payer: &Pubkey,
    deployer: &Pubkey,
    authority: &Pubkey,
    io_mint: &Pubkey,
    treasury: &Pubkey,
    params: StakingParams,
) -> Instruction {
    build(
        accounts::InitializeStaking {
            payer: *payer,
            deploy: accounts::Deployer { deployer: *deployer, program_data: pda::program_data(&io_staking::ID) },
            config: pda::staking_config(),
            io_mint: *io_mint,
            vault: pda::staking_vault(),
            reward_vault: pda::staking_reward_vault(),
            treasury: *treasury,
            registry_config: pda::registry_config(),
            token_program: spl_token::ID,
            system_program: system_program::ID,
        },
        instruction::InitializeStaking { authority: *authority, reward_distributor: pda::emissions_config(), params },
    )
}

pub fn propose_authority(authority: &Pubkey, new_authority: &Pubkey) -> Instruction {
    build(
        accounts::ProposeAuthority { authority: *authority, config: pda::staking_config() },
        instruction::ProposeAuthority { new_authority: *new_authority },
    )
}

pub fn accept_authority(new_authority: &Pubkey) -> Instruction {
    build(accounts::AcceptAuthority { new_authority: *new_authority, config: pda::staking_config() }, instruction::AcceptAuthority {})
}

/// Changes the staking parameters from `current` to `wanted`, naming only the fields that
/// differ (refused with `StaleParams` if one of them changes before it runs), and the
/// slash treasury when `treasury` is given.
pub fn set_params(authority: &Pubkey, treasury: Option<&Pubkey>, current: &StakingParams, wanted: &StakingParams) -> Instruction {
    let (expected, change) = StakingParamsChange::between(current, wanted);
    build(
        accounts::SetParams { authority: *authority, config: pda::staking_config(), treasury: treasury.copied() },
        instruction::SetParams { expected, change },
    )
}

/// Bonds `amount` from `operator_tokens` (an $IO token account the operator owns).
pub fn deposit(operator: &Pubkey, io_mint: &Pubkey, operator_tokens: &Pubkey, amount: u64) -> Instruction {
    build(
        accounts::Deposit {
            operator: *operator,
            config: pda::staking_config(),
            stake: pda::operator_stake(operator),
            io_mint: *io_mint,
            operator_tokens: *operator_tokens,
            vault: pda::staking_vault(),
            operator_stats: pda::operator_stats(operator),
            token_program: spl_token::ID,
            system_program: system_program::ID,
        },
        instruction::Deposit { amount },
    )
}

pub fn request_unstake(operator: &Pubkey, amount: u64) -> Instruction {
    build(
        accounts::RequestUnstake {
            operator: *operator,
            config: pda::staking_config(),
            stake: pda::operator_stake(operator),
            operator_stats: pda::operator_stats(operator),
        },
        instruction::RequestUnstake { amount },
    )
}

pub fn withdraw(operator: &Pubkey, io_mint: &Pubkey, operator_tokens: &Pubkey, entry: u8) -> Instruction {
    build(
        accounts::Withdraw {
            operator: *operator,
            config: pda::staking_config(),
            stake: pda::operator_stake(operator),
            io_mint: *io_mint,
            operator_tokens: *operator_tokens,
            vault: pda::staking_vault(),
            token_program: spl_token::ID,
        },
        instruction::Withdraw { entry },
    )
}

pub fn refresh_weight(operator: &Pubkey) -> Instruction {
    build(
        accounts::RefreshWeight {
            config: pda::staking_config(),
            stake: pda::operator_stake(operator),
            operator_stats: pda::operator_stats(operator),
        },
        instruction::RefreshWeight {},
    )
}

/// Settles and pays the operator's rewards into `operator_tokens`.
pub fn claim_rewards(operator: &Pubkey, io_mint: &Pubkey, operator_tokens: &Pubkey) -> Instruction {
    build(
        accounts::ClaimRewards {
            operator: *operator,
            config: pda::staking_config(),
            stake: pda::operator_stake(operator),
            io_mint: *io_mint,
            operator_tokens: *operator_tokens,
            reward_vault: pda::staking_reward_vault(),
            operator_stats: pda::operator_stats(operator),
            token_program: spl_token::ID,
        },
        instruction::ClaimRewards {},
    )
}

/// A slash proposal co-signed by `oracles`; `id` is the config's `next_slash_id`.
#[allow(clippy::too_many_arguments)]
pub fn propose_slash(
    payer: &Pubkey,
    operator: &Pubkey,
    id: u64,
    amount: u64,
    reason: SlashReason,
    evidence_hash: [u8; 32],
    oracles: &[Pubkey],
) -> Instruction {
    let args = ProposeSlashArgs { operator: *operator, amount, reason, evidence_hash, oracle_signers: oracles.len() as u8 };
    let mut ix = build(
        accounts::ProposeSlash {
            payer: *payer,
            config: pda::staking_config(),
            stake: pda::operator_stake(operator),
            proposal: pda::slash_proposal(id),
            registry_config: pda::registry_config(),
            system_program: system_program::ID,
        },
        instruction::ProposeSlash { args },
    );
    ix.accounts.extend(oracles.iter().map(|o| AccountMeta::new_readonly(*o, true)));
    ix
}

pub fn veto_slash(authority: &Pubkey, operator: &Pubkey, id: u64) -> Instruction {
    build(
        accounts::VetoSlash {
            authority: *authority,
            config: pda::staking_config(),
            stake: pda::operator_stake(operator),
            proposal: pda::slash_proposal(id),
        },
        instruction::VetoSlash {},
    )
}

pub fn execute_slash(operator: &Pubkey, id: u64, io_mint: &Pubkey, treasury: &Pubkey) -> Instruction {
    build(
        accounts::ExecuteSlash {
            config: pda::staking_config(),
            stake: pda::operator_stake(operator),
            proposal: pda::slash_proposal(id),
            vault: pda::staking_vault(),
            io_mint: *io_mint,
            treasury: *treasury,
            operator_stats: pda::operator_stats(operator),
            token_program: spl_token::ID,
        },
        instruction::ExecuteSlash {},
    )
}

/// Closes slash proposal `id` once executed or vetoed; its rent goes to `rent_payer`
/// (the payer recorded at `propose_slash`).
pub fn close_slash_proposal(id: u64, rent_payer: &Pubkey) -> Instruction {
    build(accounts::CloseSlashProposal { proposal: pda::slash_proposal(id), rent_payer: *rent_payer }, instruction::CloseSlashProposal {})
}
