//! Reading the registry's accounts: the operator aggregates (bond, weight) and the oracle
//! set (slash quorum). Each read checks the account's owner, type and address (derived
//! with the bump the account stores: `io_program_common::read_program_pda`).

use crate::errors::StakingError;
use anchor_lang::prelude::*;
use io_math::VerifiedHardware;
use io_program_common::read_program_pda;
use io_registry::{OperatorStats, RegistryConfig};

/// What the registry says of an operator now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OperatorReading {
    /// The verified hardware whose lease runs in the current registry epoch.
    pub hardware: VerifiedHardware,
    /// The registry epoch in which part of it stops counting; `None` with no hardware.
    pub next_lapse: Option<u64>,
    /// The registry's version counter of the operator's aggregates.
    pub version: u64,
}

/// An operator's verified hardware as it counts now. An operator that never registered a
/// node has no aggregate account yet: no hardware.
pub fn operator_hardware(account: &AccountInfo, operator: &Pubkey) -> Result<OperatorReading> {
    let stats = read_program_pda(
        account,
        &io_registry::ID,
        &[io_registry::OPERATOR_SEED, operator.as_ref()],
        |stats: &OperatorStats| stats.bump,
        || error!(StakingError::WrongRegistryAccount),
    )?;
    let Some(stats) = stats else {
        return Ok(OperatorReading::default());
    };
    let epoch = stats.current_epoch(Clock::get()?.unix_timestamp)?;
    let capacity = stats.verified_at(epoch)?;
    Ok(OperatorReading {
        hardware: VerifiedHardware { gpus: capacity.gpus_by_tier, score_gpus: capacity.score_gpus_by_tier },
        next_lapse: stats.next_lapse_after(epoch),
        version: stats.verified_version,
    })
}

/// The registry's config (oracle set and threshold; its epoch clock).
pub fn registry_config(account: &AccountInfo) -> Result<RegistryConfig> {
    let wrong = || error!(StakingError::WrongRegistryAccount);
    read_program_pda(account, &io_registry::ID, &[io_registry::CONFIG_SEED], |c: &RegistryConfig| c.bump, wrong)?.ok_or_else(wrong)
}
