use anchor_lang::prelude::*;

#[error_code]
pub enum EmissionsError {
    #[msg("Signer is not the config authority")]
    Unauthorized,
    #[msg("Signer is not the pending authority")]
    NotPendingAuthority,
    #[msg("No authority handover is pending")]
    NoPendingAuthority,
    #[msg("Emission parameters are out of range")]
    InvalidParams,
    #[msg("Account is not the $IO mint")]
    WrongMint,
    #[msg("The $IO mint must have 6 decimals")]
    WrongDecimals,
    #[msg("The $IO mint must not have a freeze authority")]
    FreezeAuthoritySet,
    #[msg("What was minted at genesis already exceeds the supply cap")]
    GenesisExceedsCap,
    #[msg("Account is not the staking account the emissions were set up with")]
    WrongStakingAccount,
    #[msg("Staking does not name this program as its reward distributor")]
    NotRewardDistributor,
    #[msg("The current epoch has not ended yet")]
    EpochNotOver,
    #[msg("The whole emission reserve has been minted")]
    EmissionEnded,
    #[msg("Minting this would pass the 800,000,000 IO cap")]
    SupplyCapExceeded,
    #[msg("Arithmetic overflow")]
    ArithmeticOverflow,
    #[msg("Only the program's upgrade authority may initialise it")]
    NotUpgradeAuthority,
    #[msg("A value this change was written against has since changed: propose again against the current values")]
    StaleParams,
    #[msg("A parameter change names at least one field, each with its expected and its new value")]
    InvalidParamsChange,
    #[msg("The emission reserve would exceed the supply cap less the genesis supply")]
    ReserveExceedsCap,
}
