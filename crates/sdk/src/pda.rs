//! Program-derived addresses of the registry.

use io_registry::{BALLOT_SEED, CATALOGUE_SEED, CONFIG_SEED, OPERATOR_SEED, TREE_SEED};
use solana_sdk::pubkey::Pubkey;

pub fn registry_config() -> Pubkey {
    Pubkey::find_program_address(&[CONFIG_SEED], &io_registry::ID).0
}

pub fn gpu_catalogue() -> Pubkey {
    Pubkey::find_program_address(&[CATALOGUE_SEED], &io_registry::ID).0
}

/// The tree's config account, which is also the tree's authority.
pub fn tree_config(merkle_tree: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[TREE_SEED, merkle_tree.as_ref()], &io_registry::ID).0
}

pub fn operator_stats(operator: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[OPERATOR_SEED, operator.as_ref()], &io_registry::ID).0
}

/// The ballot of leaf `leaf_index` of `merkle_tree`.
pub fn ballot(merkle_tree: &Pubkey, leaf_index: u32) -> Pubkey {
    Pubkey::find_program_address(&[BALLOT_SEED, merkle_tree.as_ref(), &leaf_index.to_le_bytes()], &io_registry::ID).0
}

pub fn staking_config() -> Pubkey {
    Pubkey::find_program_address(&[io_staking::STAKING_CONFIG_SEED], &io_staking::ID).0
}

pub fn staking_vault() -> Pubkey {
    Pubkey::find_program_address(&[io_staking::VAULT_SEED], &io_staking::ID).0
}

pub fn operator_stake(operator: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[io_staking::STAKE_SEED, operator.as_ref()], &io_staking::ID).0
}

pub fn slash_proposal(id: u64) -> Pubkey {
    Pubkey::find_program_address(&[io_staking::SLASH_SEED, &id.to_le_bytes()], &io_staking::ID).0
}

pub fn staking_reward_vault() -> Pubkey {
    Pubkey::find_program_address(&[io_staking::REWARD_VAULT_SEED], &io_staking::ID).0
}

/// The emissions config: $IO mint authority and staking's reward distributor.
pub fn emissions_config() -> Pubkey {
    Pubkey::find_program_address(&[io_emissions::EMISSIONS_SEED], &io_emissions::ID).0
}

pub fn treasury_config() -> Pubkey {
    Pubkey::find_program_address(&[io_treasury::TREASURY_SEED], &io_treasury::ID).0
}

/// The IOSD mint (its authority is the treasury config).
pub fn iosd_mint() -> Pubkey {
    Pubkey::find_program_address(&[io_treasury::IOSD_MINT_SEED], &io_treasury::ID).0
}

/// The treasury's IOSD fee vault.
pub fn treasury_iosd_vault() -> Pubkey {
    Pubkey::find_program_address(&[io_treasury::TREASURY_IOSD_SEED], &io_treasury::ID).0
}

/// The treasury's $IO vault (fees paid in $IO, slashes sent to the treasury).
pub fn treasury_io_vault() -> Pubkey {
    Pubkey::find_program_address(&[io_treasury::TREASURY_IO_SEED], &io_treasury::ID).0
}

/// The IOSD buyback pool.
pub fn buyback_pool() -> Pubkey {
    Pubkey::find_program_address(&[io_treasury::BUYBACK_POOL_SEED], &io_treasury::ID).0
}

/// The governance config (DAO parameters, proposal counter).
pub fn governance_config() -> Pubkey {
    Pubkey::find_program_address(&[io_governance::GOVERNANCE_SEED], &io_governance::ID).0
}

/// The DAO's signing PDA: the config authority of every program after genesis.
pub fn dao() -> Pubkey {
    Pubkey::find_program_address(&[io_governance::DAO_SEED], &io_governance::ID).0
}

pub fn proposal(id: u64) -> Pubkey {
    Pubkey::find_program_address(&[io_governance::PROPOSAL_SEED, &id.to_le_bytes()], &io_governance::ID).0
}

pub fn vote_record(proposal: &Pubkey, voter: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[io_governance::VOTE_SEED, proposal.as_ref(), voter.as_ref()], &io_governance::ID).0
}

/// The ProgramData account of an upgradeable program: it names the upgrade authority,
/// the only key every `initialize_*` accepts as its deployer.
pub fn program_data(program_id: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[program_id.as_ref()], &anchor_lang::solana_program::bpf_loader_upgradeable::ID).0
}
