use anchor_lang::prelude::*;

#[error_code]
pub enum GovernanceError {
    #[msg("Signer is not the config authority (the DAO)")]
    Unauthorized,
    #[msg("Governance parameters are out of range")]
    InvalidParams,
    #[msg("Only the registry's current authority may open the DAO")]
    NotRegistryAuthority,
    #[msg("A bootstrap instruction may only make the DAO accept a config authority")]
    NotAnAuthorityAcceptance,
    #[msg("The proposer's stake at opening is below the proposal threshold")]
    BelowProposalThreshold,
    #[msg("A proposal carries between one and the maximum number of instructions")]
    InvalidInstructionCount,
    #[msg("A proposal instruction has too many accounts or too much data")]
    InstructionTooLarge,
    #[msg("The proposal link is too long")]
    LinkTooLong,
    #[msg("Only the DAO may sign a proposal instruction")]
    UnexpectedSigner,
    #[msg("A proposal may call the governance program only to set its parameters")]
    ForbiddenGovernanceCall,
    #[msg("The proposal is not in its voting period")]
    ProposalNotVoting,
    #[msg("The voting period is over")]
    VotingClosed,
    #[msg("The voting period has not ended")]
    VotingNotEnded,
    #[msg("This position has already voted on the proposal")]
    AlreadyVoted,
    #[msg("The position had no bonded stake when the proposal opened")]
    NoVotingWeight,
    #[msg("The position's stake at opening is older than its kept bond history")]
    SnapshotUnavailable,
    #[msg("Only the proposal's author may cancel it")]
    NotProposer,
    #[msg("Votes were cast: the proposal can no longer be cancelled")]
    VotesAlreadyCast,
    #[msg("The proposal is not queued for execution")]
    ProposalNotQueued,
    #[msg("The proposal was already executed")]
    AlreadyExecuted,
    #[msg("The timelock has not elapsed")]
    TimelockNotElapsed,
    #[msg("The proposal's execution window has passed")]
    ProposalExpired,
    #[msg("An account a proposal instruction needs was not passed")]
    MissingAccount,
    #[msg("Account is not the staking account it should be")]
    WrongStakingAccount,
    #[msg("Account is not the registry config")]
    WrongRegistryAccount,
    #[msg("Arithmetic overflow")]
    ArithmeticOverflow,
    #[msg("Only the program's upgrade authority may initialise it")]
    NotUpgradeAuthority,
    #[msg("A value this change was written against has since changed: propose again against the current values")]
    StaleParams,
    #[msg("A parameter change names at least one field, each with its expected and its new value")]
    InvalidParamsChange,
    #[msg("Only a draft proposal takes more instructions or opens for voting")]
    ProposalNotDraft,
}
