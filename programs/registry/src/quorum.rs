//! Counting an oracle quorum from the signer accounts of a transaction.

use crate::errors::RegistryError;
use crate::state::RegistryConfig;
use anchor_lang::prelude::*;

/// Why a set of signer accounts is not a quorum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuorumFault {
    /// A listed account did not sign.
    MissingSignature,
    /// A signer is not in the oracle set.
    NotAnOracle,
    /// Fewer distinct oracles than the threshold.
    BelowThreshold,
}

/// Checks that `signers` (taken from the remaining accounts) are all oracles that signed,
/// and that at least `threshold` distinct oracles are among them. An oracle listed twice
/// counts once. Returns the distinct oracles, in the order they first appear. Other
/// programs (staking's slash proposals) use the same rule with their own error names.
pub fn count_quorum(config: &RegistryConfig, signers: &[AccountInfo]) -> core::result::Result<Vec<Pubkey>, QuorumFault> {
    let mut seen: u32 = 0; // bit i set = oracle i already counted (at most 16 oracles)
    let mut distinct = Vec::with_capacity(signers.len());
    for account in signers {
        if !account.is_signer {
            return Err(QuorumFault::MissingSignature);
        }
        let index = config.oracle_index(account.key).ok_or(QuorumFault::NotAnOracle)?;
        let bit = 1u32 << index;
        if seen & bit == 0 {
            seen |= bit;
            distinct.push(*account.key);
        }
    }
    if distinct.len() < usize::from(config.threshold) {
        return Err(QuorumFault::BelowThreshold);
    }
    Ok(distinct)
}

/// An oracle set is 1..=MAX_ORACLES distinct, non-default keys with a threshold in
/// 1..=min(len, MAX_QUORUM).
pub fn validate_oracle_set(oracles: &[Pubkey], threshold: u8) -> Result<()> {
    use crate::constants::{MAX_ORACLES, MAX_QUORUM};
    require!(!oracles.is_empty() && oracles.len() <= MAX_ORACLES, RegistryError::InvalidOracleSet);
    require!(threshold >= 1 && usize::from(threshold) <= oracles.len() && threshold <= MAX_QUORUM, RegistryError::InvalidOracleSet);
    for (i, oracle) in oracles.iter().enumerate() {
        require!(*oracle != Pubkey::default(), RegistryError::InvalidOracleSet);
        require!(!oracles[..i].contains(oracle), RegistryError::InvalidOracleSet);
    }
    Ok(())
}
