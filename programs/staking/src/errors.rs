use anchor_lang::prelude::*;

#[error_code]
pub enum StakingError {
    #[msg("Signer is not the config authority")]
    Unauthorized,
    #[msg("Signer is not the pending authority")]
    NotPendingAuthority,
    #[msg("No authority handover is pending")]
    NoPendingAuthority,
    #[msg("Staking parameters are out of range")]
    InvalidParams,
    #[msg("Token account has the wrong mint")]
    WrongMint,
    #[msg("Account is not the staking vault")]
    WrongVault,
    #[msg("Account is not the configured treasury")]
    WrongTreasury,
    #[msg("Token account does not belong to the operator")]
    WrongTokenOwner,
    #[msg("Amount must be positive")]
    ZeroAmount,
    #[msg("Not enough bonded stake")]
    InsufficientBond,
    #[msg("Unstaking would leave less than the bond the operator's verified nodes need")]
    BondStillNeeded,
    #[msg("Too many unbonding entries are open")]
    TooManyUnbondingEntries,
    #[msg("No unbonding entry at that index")]
    NoSuchUnbondingEntry,
    #[msg("The entry is still unbonding")]
    StillUnbonding,
    #[msg("Withdrawing would leave less than the pending slashes")]
    SlashPending,
    #[msg("Account is not the registry account it should be")]
    WrongRegistryAccount,
    #[msg("A listed oracle account did not sign")]
    MissingOracleSignature,
    #[msg("Signer is not in the registry's oracle set")]
    NotAnOracle,
    #[msg("Fewer distinct oracles signed than the registry's threshold")]
    InsufficientQuorum,
    #[msg("Slash amount is above the configured share of the operator's stake")]
    SlashAboveCap,
    #[msg("Slash amount exceeds what the operator has left after pending slashes")]
    SlashExceedsStake,
    #[msg("Slash proposal is not pending")]
    SlashNotPending,
    #[msg("The challenge window has not ended")]
    ChallengeWindowOpen,
    #[msg("The challenge window has ended")]
    ChallengeWindowClosed,
    #[msg("Proposal does not belong to this operator")]
    ProposalMismatch,
    #[msg("Signer is not the configured reward distributor")]
    NotRewardDistributor,
    #[msg("Rewards cannot be distributed while no weight is earning")]
    NoEarningWeight,
    #[msg("The reward vault holds less than the unclaimed rewards")]
    RewardsNotFunded,
    #[msg("Account is not the reward vault")]
    WrongRewardVault,
    #[msg("No rewards to claim")]
    NothingToClaim,
    #[msg("The weight's lease has already ended")]
    LeaseAlreadyEnded,
    #[msg("A stake's lease disagrees with the pool's buckets (a program bug)")]
    LeaseBookkeeping,
    #[msg("Arithmetic overflow")]
    ArithmeticOverflow,
    #[msg("Only the program's upgrade authority may initialise it")]
    NotUpgradeAuthority,
    #[msg("A pending slash proposal cannot be closed")]
    SlashStillPending,
    #[msg("Account is not the one that paid the rent")]
    NotRentPayer,
    #[msg("A value this change was written against has since changed: propose again against the current values")]
    StaleParams,
    #[msg("A parameter change names at least one field, each with its expected and its new value")]
    InvalidParamsChange,
    #[msg("The crank reclaims more than the stakes have forfeited")]
    ReclaimExceedsForfeited,
}
