use anchor_lang::prelude::*;

#[error_code]
pub enum TreasuryError {
    #[msg("Signer is not the config authority")]
    Unauthorized,
    #[msg("Signer is not the pending authority")]
    NotPendingAuthority,
    #[msg("No authority handover is pending")]
    NoPendingAuthority,
    #[msg("Treasury parameters are out of range")]
    InvalidParams,
    #[msg("The fee is above the compiled-in maximum")]
    FeeAboveMax,
    #[msg("Token account has the wrong mint")]
    WrongMint,
    #[msg("Token account does not belong to the signer")]
    WrongTokenOwner,
    #[msg("Account is not the treasury vault it should be")]
    WrongVault,
    #[msg("Amount must be positive")]
    ZeroAmount,
    #[msg("Signer is not the IOSD gateway")]
    NotGateway,
    #[msg("The gateway's IOSD mint cap for this period is reached")]
    GatewayCapExceeded,
    #[msg("The fill is above the per-call cap")]
    FillAboveCap,
    #[msg("The buyback pool holds less than the fill")]
    InsufficientPool,
    #[msg("The IO handed in is below the price bound")]
    SlippageExceeded,
    #[msg("Price account is not owned by the Pyth receiver")]
    WrongPriceOwner,
    #[msg("Account is not a PriceUpdateV2")]
    InvalidPriceAccount,
    #[msg("Price update is for another feed")]
    WrongPriceFeed,
    #[msg("Price update is not fully verified")]
    LowVerificationLevel,
    #[msg("Price update is too old")]
    StalePrice,
    #[msg("Price is not positive")]
    InvalidPrice,
    #[msg("Price confidence interval is too wide")]
    WideConfidence,
    #[msg("Arithmetic overflow")]
    ArithmeticOverflow,
    #[msg("Only the program's upgrade authority may initialise it")]
    NotUpgradeAuthority,
    #[msg("A fill cannot be paid into one of the treasury's own vaults")]
    VaultAsDestination,
    #[msg("A value this change was written against has since changed: propose again against the current values")]
    StaleParams,
    #[msg("A parameter change names at least one field, each with its expected and its new value")]
    InvalidParamsChange,
}
