//! Reading other programs' accounts: a position's bond history and staking's total bond
//! (vote weights and quorum), and the registry's authority (who may open the DAO). Each
//! read checks the account's address and owner.

use crate::errors::GovernanceError;
use anchor_lang::prelude::*;
use io_staking::{OperatorStake, StakingConfig};

/// `operator`'s staking position; `None` if the operator never staked.
pub fn operator_stake(account: &AccountInfo, operator: &Pubkey) -> Result<Option<OperatorStake>> {
    let (expected, _) = Pubkey::find_program_address(&[io_staking::STAKE_SEED, operator.as_ref()], &io_staking::ID);
    require_keys_eq!(account.key(), expected, GovernanceError::WrongStakingAccount);
    if account.data_is_empty() {
        return Ok(None);
    }
    require_keys_eq!(*account.owner, io_staking::ID, GovernanceError::WrongStakingAccount);
    OperatorStake::try_deserialize(&mut &account.try_borrow_data()?[..])
        .map(Some)
        .map_err(|_| error!(GovernanceError::WrongStakingAccount))
}

/// Total bonded stake at the end of the second before `now`: the quorum base of a
/// proposal opening now, measured at the same moment as its voters' weights, so the
/// weights of all positions together never exceed it.
pub fn total_bonded_before(account: &AccountInfo, now: i64) -> Result<u64> {
    let (expected, _) = Pubkey::find_program_address(&[io_staking::STAKING_CONFIG_SEED], &io_staking::ID);
    require_keys_eq!(account.key(), expected, GovernanceError::WrongStakingAccount);
    require_keys_eq!(*account.owner, io_staking::ID, GovernanceError::WrongStakingAccount);
    let config = StakingConfig::try_deserialize(&mut &account.try_borrow_data()?[..])
        .map_err(|_| error!(GovernanceError::WrongStakingAccount))?;
    config.total_bonded_before(now).ok_or_else(|| error!(GovernanceError::SnapshotUnavailable))
}

pub fn registry_authority(account: &AccountInfo) -> Result<Pubkey> {
    let (expected, _) = Pubkey::find_program_address(&[io_registry::CONFIG_SEED], &io_registry::ID);
    require_keys_eq!(account.key(), expected, GovernanceError::WrongRegistryAccount);
    require_keys_eq!(*account.owner, io_registry::ID, GovernanceError::WrongRegistryAccount);
    let config = io_registry::RegistryConfig::try_deserialize(&mut &account.try_borrow_data()?[..])
        .map_err(|_| error!(GovernanceError::WrongRegistryAccount))?;
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
