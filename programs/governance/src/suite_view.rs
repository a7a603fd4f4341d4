//! Reading other programs' accounts: a position's bond history and staking's total bond
//! (vote weights and quorum), and the registry's authority (who may open the DAO). Each
//! read checks the account's owner, type and address (derived with the bump the account
//! stores: `io_program_common::read_program_pda`).

use crate::errors::GovernanceError;
use anchor_lang::prelude::*;
use io_program_common::read_program_pda;
use io_staking::{OperatorStake, StakingConfig};

/// `operator`'s staking position; `None` if the operator never staked.
pub fn operator_stake(account: &AccountInfo, operator: &Pubkey) -> Result<Option<OperatorStake>> {
    read_program_pda(
        account,
        &io_staking::ID,
        &[io_staking::STAKE_SEED, operator.as_ref()],
        |stake: &OperatorStake| stake.bump,
        || error!(GovernanceError::WrongStakingAccount),
    )
}

/// Total bonded stake at the end of the second before `now`: the quorum base of a
/// proposal opening now, measured at the same moment as its voters' weights, so the
/// weights of all positions together never exceed it.
pub fn total_bonded_before(account: &AccountInfo, now: i64) -> Result<u64> {
    let wrong = || error!(GovernanceError::WrongStakingAccount);
    let config = read_program_pda(account, &io_staking::ID, &[io_staking::STAKING_CONFIG_SEED], |c: &StakingConfig| c.bump, wrong)?
        .ok_or_else(wrong)?;
    config.total_bonded_before(now).ok_or_else(|| error!(GovernanceError::SnapshotUnavailable))
}

pub fn registry_authority(account: &AccountInfo) -> Result<Pubkey> {
    let wrong = || error!(GovernanceError::WrongRegistryAccount);
    let config = read_program_pda(account, &io_registry::ID, &[io_registry::CONFIG_SEED], |c: &io_registry::RegistryConfig| c.bump, wrong)?
        .ok_or_else(wrong)?;
    Ok(config.authority)
}

/// A position's vote weight on a proposal opened at `opened_at`: its bond at the end of
/// the second before.
pub fn weight_at_open(stake: Option<&OperatorStake>, opened_at: i64) -> Result<u64> {
    match stake {
        None => Ok(0),
        Some(stake) => stake.bonded_before(opened_at).ok_or_else(|| error!(GovernanceError::SnapshotUnavailable)),
    }
}
