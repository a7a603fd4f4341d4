//! The $IO node registry: GPU nodes as leaves of a concurrent Merkle tree owned by the
//! SPL account-compression program, with every record logged through the noop program.
//!
//! This file only routes; each instruction lives in `instructions/<name>.rs`.

// Integer overflow on-chain is a silent wrong balance: every operation says what
// happens at the edge (checked, saturating with a reason, or a compile-time constant).
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]
// Anchor 0.31's `#[program]` emits IDL-account instructions that call the deprecated
// `AccountInfo::realloc`, at the crate's root where no narrower allow reaches.
#![allow(deprecated)]

use anchor_lang::prelude::*;

pub mod ballot;
pub mod compression;
pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
#[cfg(test)]
mod lease_tests;
pub mod operator_stats;
pub mod quorum;
pub mod state;

pub use ballot::*;
pub use constants::*;
pub use errors::RegistryError;
pub use events::*;
pub use instructions::*;
pub use operator_stats::*;
pub use state::*;

declare_id!("GnH9jN1nXicDY8jLfkofpCfr3MqU2BAitPdWubppJ5eh");

#[program]
pub mod registry {
    use super::*;

    /// Creates the registry config and the (empty) GPU catalogue.
    pub fn initialize(ctx: Context<Initialize>, args: InitializeArgs) -> Result<()> {
        instructions::initialize::handler(ctx, args)
    }

    /// First half of the authority handover: the current authority names a successor.
    pub fn propose_authority(ctx: Context<ProposeAuthority>, new_authority: Pubkey) -> Result<()> {
        instructions::propose_authority::handler(ctx, new_authority)
    }

    /// Second half of the authority handover: the named successor accepts.
    pub fn accept_authority(ctx: Context<AcceptAuthority>) -> Result<()> {
        instructions::accept_authority::handler(ctx)
    }

    /// Removes and adds oracles and sets the quorum threshold, against the set and the
    /// threshold as the change expects them.
    pub fn set_oracles(
        ctx: Context<SetOracles>,
        remove: Vec<Pubkey>,
        add: Vec<Pubkey>,
        expected_threshold: u8,
        threshold: u8,
    ) -> Result<()> {
        instructions::set_oracles::handler(ctx, remove, add, expected_threshold, threshold)
    }

    /// Adds a GPU model to the catalogue.
    pub fn add_gpu_model(ctx: Context<ChangeCatalogue>, args: GpuModelArgs) -> Result<()> {
        instructions::add_gpu_model::handler(ctx, args)
    }

    /// Changes the tier, expected TFLOPS or minimum CUDA version of a catalogue entry.
    /// Refused when the entry is no longer what the change expects.
    pub fn update_gpu_model(ctx: Context<ChangeCatalogue>, model_id: u16, expected: GpuModelArgs, args: GpuModelArgs) -> Result<()> {
        instructions::update_gpu_model::handler(ctx, model_id, expected, args)
    }

    /// Retires a catalogue entry: no new node may register with it.
    pub fn retire_gpu_model(ctx: Context<ChangeCatalogue>, model_id: u16) -> Result<()> {
        instructions::retire_gpu_model::handler(ctx, model_id)
    }

    /// Initialises a pre-allocated account as a node tree and makes it the active tree.
    pub fn create_tree(ctx: Context<CreateTree>, max_depth: u32, max_buffer_size: u32) -> Result<()> {
        instructions::create_tree::handler(ctx, max_depth, max_buffer_size)
    }

    /// Anyone opens the next tree, of the configured shape, once the active one is nearly
    /// full (the tree account allocated by the payer in the same transaction).
    pub fn open_tree(ctx: Context<OpenTree>) -> Result<()> {
        instructions::open_tree::handler(ctx)
    }

    /// Changes the registration deposit, the per-operator pending cap or the open-tree
    /// shape: the fields named, each against its expected value.
    pub fn set_registration_params(
        ctx: Context<SetRegistrationParams>,
        expected: RegistrationParamsChange,
        change: RegistrationParamsChange,
    ) -> Result<()> {
        instructions::set_registration_params::handler(ctx, expected, change)
    }

    /// Changes how many epochs a verified attestation counts for bonds and reward weight,
    /// from the length it expects.
    pub fn set_verification_lease(ctx: Context<SetVerificationLease>, expected_lease_epochs: u64, lease_epochs: u64) -> Result<()> {
        instructions::set_verification_lease::handler(ctx, expected_lease_epochs, lease_epochs)
    }

    /// Sends the forfeited registration deposits the config holds to a destination.
    pub fn sweep_forfeited_deposits(ctx: Context<SweepForfeitedDeposits>) -> Result<()> {
        instructions::sweep_forfeited_deposits::handler(ctx)
    }

    /// An operator registers a node (appended as a pending leaf of the active tree).
    pub fn register_node(ctx: Context<RegisterNode>, spec: HardwareSpec) -> Result<()> {
        instructions::register_node::handler(ctx, spec)
    }

    /// An operator changes a node's hardware, driver or region.
    pub fn update_node<'info>(
        ctx: Context<'_, '_, '_, 'info, ModifyNode<'info>>,
        root: [u8; 32],
        current: NodeRecord,
        spec: HardwareSpec,
    ) -> Result<()> {
        instructions::update_node::handler(ctx, root, current, spec)
    }

    /// An operator retires a node for good.
    pub fn retire_node<'info>(ctx: Context<'_, '_, '_, 'info, ModifyNode<'info>>, root: [u8; 32], current: NodeRecord) -> Result<()> {
        instructions::retire_node::handler(ctx, root, current)
    }

    /// One oracle of the set votes its finding about a leaf, with its own measurement.
    pub fn submit_verdict(ctx: Context<SubmitVerdict>, args: SubmitVerdictArgs) -> Result<()> {
        instructions::submit_verdict::handler(ctx, args)
    }

    /// Applies a ballot that a threshold of the oracle set voted (anyone may send it):
    /// verified with the median of their metrics, or suspended; the ballot closes.
    pub fn attest_node<'info>(ctx: Context<'_, '_, '_, 'info, AttestNode<'info>>, args: AttestNodeArgs) -> Result<()> {
        instructions::attest_node::handler(ctx, args)
    }

    /// Anyone closes a ballot no attestation applied, `BALLOT_LIFETIME_EPOCHS` after its
    /// epoch; its rent goes back to whoever opened it.
    pub fn close_ballot(ctx: Context<CloseBallot>) -> Result<()> {
        instructions::close_ballot::handler(ctx)
    }
}
