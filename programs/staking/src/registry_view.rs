//! Reading the registry's accounts: the operator aggregates (bond, weight) and the oracle
//! set (slash quorum). Each read checks the account's address and owner.

use crate::errors::StakingError;
use anchor_lang::prelude::*;
use io_math::VerifiedHardware;
use io_registry::{OperatorStats, RegistryConfig};

/// An operator's verified hardware and the registry's version counter for it. An operator
/// that never registered a node has no aggregate account yet: no hardware.
pub fn operator_hardware(account: &AccountInfo, operator: &Pubkey) -> Result<(VerifiedHardware, u64)> {
    let (expected, _) =
        Pubkey::find_program_address(&[io_registry::OPERATOR_SEED, operator.as_ref()], &io_registry::ID);
    require_keys_eq!(account.key(), expected, StakingError::WrongRegistryAccount);
    if account.data_is_empty() {
        return Ok((VerifiedHardware::default(), 0));
    }
    require_keys_eq!(*account.owner, io_registry::ID, StakingError::WrongRegistryAccount);
    let stats = OperatorStats::try_deserialize(&mut &account.try_borrow_data()?[..])
        .map_err(|_| error!(StakingError::WrongRegistryAccount))?;
    Ok((
        VerifiedHardware { gpus: stats.verified_gpus_by_tier, score_gpus: stats.verified_score_gpus_by_tier },
        stats.verified_version,
    ))
}

/// The registry's config (oracle set and threshold).
pub fn registry_config(account: &AccountInfo) -> Result<RegistryConfig> {
    let (expected, _) = Pubkey::find_program_address(&[io_registry::CONFIG_SEED], &io_registry::ID);
    require_keys_eq!(account.key(), expected, StakingError::WrongRegistryAccount);
    require_keys_eq!(*account.owner, io_registry::ID, StakingError::WrongRegistryAccount);
    RegistryConfig::try_deserialize(&mut &account.try_borrow_data()?[..])
        .map_err(|_| error!(StakingError::WrongRegistryAccount))
}
