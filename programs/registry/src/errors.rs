use anchor_lang::prelude::*;

#[error_code]
pub enum RegistryError {
    #[msg("Signer is not the config authority")]
    Unauthorized,
    #[msg("Signer is not the pending authority")]
    NotPendingAuthority,
    #[msg("No authority handover is pending")]
    NoPendingAuthority,
    #[msg("Oracle set is empty, too large, has duplicates or a default key, or the threshold is out of range")]
    InvalidOracleSet,
    #[msg("Epoch length is out of range")]
    InvalidEpochLength,
    #[msg("Catalogue is full")]
    CatalogueFull,
    #[msg("GPU model name is empty, too long or already in the catalogue")]
    InvalidGpuModelName,
    #[msg("Expected TFLOPS must be positive")]
    InvalidExpectedTflops,
    #[msg("GPU model is not in the catalogue")]
    UnknownGpuModel,
    #[msg("GPU model has been retired from the catalogue")]
    GpuModelRetired,
    #[msg("GPU count must be between 1 and the per-node maximum")]
    InvalidGpuCount,
    #[msg("CUDA version is below the model's minimum")]
    CudaTooOld,
    #[msg("Region is not a valid H3 cell index")]
    InvalidRegion,
    #[msg("GPU UUID hash must not be zero")]
    InvalidGpuUuidHash,
    #[msg("Tree account is not a usable concurrent Merkle tree")]
    InvalidTreeAccount,
    #[msg("Canopy too shallow: proofs would not fit a transaction")]
    CanopyTooShallow,
    #[msg("Tree is not the registry's active tree")]
    NotActiveTree,
    #[msg("Tree is full: open a new one")]
    TreeFull,
    #[msg("The registry has opened its maximum number of trees")]
    TooManyTrees,
    #[msg("Leaf proof does not match the tree: wrong record, index, root or proof")]
    InvalidProof,
    #[msg("Record does not belong to this tree or has an unknown version")]
    RecordMismatch,
    #[msg("Signer is not the node's operator")]
    NotNodeOperator,
    #[msg("Node is retired")]
    NodeRetired,
    #[msg("Update changes nothing")]
    NoChange,
    #[msg("A listed oracle account did not sign")]
    MissingOracleSignature,
    #[msg("Signer is not in the oracle set")]
    NotAnOracle,
    #[msg("Fewer distinct oracles signed than the threshold")]
    InsufficientQuorum,
    #[msg("Attestation epoch must be later than the node's last attested epoch")]
    StaleAttestationEpoch,
    #[msg("Attestation epoch has not started yet")]
    FutureAttestationEpoch,
    #[msg("Metrics are out of range")]
    InvalidMetrics,
    #[msg("Measured bandwidth is below the tier's minimum for a verified node")]
    BandwidthBelowTierMinimum,
    #[msg("Arithmetic overflow")]
    ArithmeticOverflow,
    #[msg("The operator has the most pending nodes allowed; audits must clear some first")]
    TooManyPendingNodes,
    #[msg("Registration parameters out of range")]
    InvalidRegistrationParams,
    #[msg("The active tree is not full enough for anyone to open a new one")]
    ActiveTreeNotFull,
    #[msg("The tree account does not have the configured shape")]
    TreeShapeMismatch,
    #[msg("Only a suspension may forfeit a node's deposit")]
    ForfeitWithoutSuspension,
    #[msg("No forfeited deposits to sweep")]
    NothingToSweep,
    #[msg("The verification lease must be 1 to MAX_LEASE_EPOCHS epochs")]
    InvalidLease,
    #[msg("An operator's lease buckets disagree with a record (a program bug)")]
    LeaseBookkeeping,
    #[msg("Forfeited deposits cannot be swept into the registry config itself")]
    SweepToConfig,
    #[msg("Only the program's upgrade authority may initialise it")]
    NotUpgradeAuthority,
    #[msg(
        "GPU identities must be distinct and ascending, at most MAX_GPUS_PER_NODE, present for a verification and absent for a suspension"
    )]
    InvalidGpuIds,
    #[msg("This verdict disagrees with the ballot's subject for the same epoch")]
    BallotMismatch,
    #[msg("This oracle has already voted in the ballot")]
    AlreadyVoted,
    #[msg("The ballot holds MAX_QUORUM votes already")]
    BallotFull,
    #[msg("The ballot is about another record than the one given")]
    BallotNotForRecord,
    #[msg("The verified GPU identities are not the record's GPU set")]
    GpuSetMismatch,
    #[msg("The ballot may still be attested: it closes BALLOT_LIFETIME_EPOCHS after its epoch")]
    BallotStillOpen,
    #[msg("A value this change was written against has since changed: propose again against the current values")]
    StaleParams,
    #[msg("A parameter change names at least one field, each with its expected and its new value")]
    InvalidParamsChange,
}
