use crate::compression::{verify_leaf, TreeCpi};
use crate::constants::*;
use crate::errors::RegistryError;
use crate::events::{Attestation, NodeChange};
use crate::operator_stats::OperatorStats;
use crate::state::*;
use anchor_lang::prelude::*;
use spl_account_compression::program::SplAccountCompression;
use spl_account_compression::Noop;

/// Accounts of an operator's change to one of its nodes. The leaf's proof follows
/// as remaining accounts (tree depth minus canopy depth nodes).
#[derive(Accounts)]
pub struct ModifyNode<'info> {
    /// Writable: a retirement refunds the node's deposit to it.
    #[account(mut)]
    pub operator: Signer<'info>,
    #[account(seeds = [CATALOGUE_SEED], bump = catalogue.bump)]
    pub catalogue: Box<Account<'info, GpuCatalogue>>,
    #[account(seeds = [TREE_SEED, merkle_tree.key().as_ref()], bump = tree_config.bump)]
    pub tree_config: Box<Account<'info, TreeConfig>>,
    /// CHECK: bound to `tree_config` by its seeds; the compression program checks the rest.
    #[account(mut, owner = spl_account_compression::ID @ RegistryError::InvalidTreeAccount)]
    pub merkle_tree: UncheckedAccount<'info>,
    #[account(mut, seeds = [OPERATOR_SEED, operator.key().as_ref()], bump = operator_stats.bump)]
    pub operator_stats: Box<Account<'info, OperatorStats>>,
    pub compression_program: Program<'info, SplAccountCompression>,
    pub noop_program: Program<'info, Noop>,
}

impl<'info> ModifyNode<'info> {
    /// Checks that the signer may change `current` and that `current` is the leaf in the
    /// tree; returns its leaf hash.
    pub fn check_current(&self, root: [u8; 32], current: &NodeRecord, proof: &[AccountInfo<'info>]) -> Result<[u8; 32]> {
        require!(current.version == NODE_RECORD_VERSION, RegistryError::RecordMismatch);
        require_keys_eq!(current.operator, self.operator.key(), RegistryError::NotNodeOperator);
        require!(current.status != NodeStatus::Retired, RegistryError::NodeRetired);
        let leaf = current.leaf_hash();
        verify_leaf(&self.merkle_tree.to_account_info(), root, leaf, current.leaf_index, proof)?;
        Ok(leaf)
    }

    /// Replaces `current` by `new` in the tree, the aggregates and the noop log.
    pub fn commit(
        &mut self,
        root: [u8; 32],
        current: &NodeRecord,
        previous_leaf: [u8; 32],
        new: NodeRecord,
        change: NodeChange,
        proof: &[AccountInfo<'info>],
    ) -> Result<()> {
        let mut new = new;
        if new.status != NodeStatus::Verified {
            new.lease_end_epoch = 0;
        }
        let epoch = self.operator_stats.current_epoch(Clock::get()?.unix_timestamp)?;
        self.operator_stats.apply(Some(current), &new, epoch)?;
        let cpi = TreeCpi {
            merkle_tree: &self.merkle_tree.to_account_info(),
            tree_config: &self.tree_config,
            compression_program: &self.compression_program,
            noop_program: &self.noop_program,
        };
        cpi.replace_record(root, current, previous_leaf, new, change, Attestation::default(), proof)
    }
}

/// A change of GPU model, count, UUIDs or CUDA version sends the node back to pending
/// (its metrics no longer describe it), and so does any change of tier: a node whose
/// model the DAO moved to another tier was verified against the old tier's minimums, so
/// it needs an audit before it counts in the new one. A region-only change of a node whose
/// tier stays keeps its status.
pub fn handler<'info>(
    ctx: Context<'_, '_, '_, 'info, ModifyNode<'info>>,
    root: [u8; 32],
    current: NodeRecord,
    spec: HardwareSpec,
) -> Result<()> {
    let proof = ctx.remaining_accounts;
    let accounts = ctx.accounts;
    let previous_leaf = accounts.check_current(root, &current, proof)?;
    require!(spec != current.hardware(), RegistryError::NoChange);
    // A node may keep a model that was retired after it registered.
    let tier = accounts.catalogue.check_spec(&spec, spec.gpu_model == current.gpu_model)?;

    let hardware_changed = spec.gpu_model != current.gpu_model
        || spec.gpu_count != current.gpu_count
        || spec.cuda != current.cuda
        || spec.gpu_uuids_hash != current.gpu_uuids_hash;
    let mut new = current;
    new.gpu_model = spec.gpu_model;
    new.gpu_count = spec.gpu_count;
    new.cuda = spec.cuda;
    new.region = spec.region;
    new.gpu_uuids_hash = spec.gpu_uuids_hash;
    new.tier = tier;
    if hardware_changed || tier != current.tier {
        new.status = NodeStatus::Pending;
        new.metrics = NodeMetrics::default();
        new.score = 0;
    }
    accounts.commit(root, &current, previous_leaf, new, NodeChange::Updated, proof)
}
