//! Every call into spl-account-compression and the noop program goes through here.
//!
//! The tree's authority is its `TreeConfig` PDA, so each CPI is signed with
//! `[TREE_SEED, merkle_tree, bump]`.

use crate::constants::{NODE_EVENT_TAG, TREE_SEED};
use crate::errors::RegistryError;
use crate::events::{Attestation, NodeChange, NodeEvent};
use crate::state::{NodeRecord, TreeConfig};
use anchor_lang::prelude::*;
use anchor_lang::solana_program::{instruction::Instruction, program::invoke_signed};
use anchor_lang::InstructionData;
use spl_account_compression::canopy::fill_in_proof_from_canopy;
use spl_account_compression::concurrent_tree_wrapper::{merkle_tree_prove_leaf, ProveLeafArgs};
use spl_account_compression::program::SplAccountCompression;
use spl_account_compression::state::{merkle_tree_get_size, ConcurrentMerkleTreeHeader, CONCURRENT_MERKLE_TREE_HEADER_SIZE_V1};
use spl_account_compression::{wrap_application_data_v1, Noop};

/// The accounts every leaf change needs.
pub struct TreeCpi<'a, 'info> {
    pub merkle_tree: &'a AccountInfo<'info>,
    pub tree_config: &'a Account<'info, TreeConfig>,
    pub compression_program: &'a Program<'info, SplAccountCompression>,
    pub noop_program: &'a Program<'info, Noop>,
}

impl<'a, 'info> TreeCpi<'a, 'info> {
    fn signer_seeds(&self) -> [&[u8]; 3] {
        [TREE_SEED, self.tree_config.merkle_tree.as_ref(), std::slice::from_ref(&self.tree_config.bump)]
    }

    fn modify_accounts(&self) -> spl_account_compression::cpi::accounts::Modify<'info> {
        spl_account_compression::cpi::accounts::Modify {
            merkle_tree: self.merkle_tree.clone(),
            authority: self.tree_config.to_account_info(),
            noop: self.noop_program.to_account_info(),
        }
    }

    /// Appends a leaf (no proof needed: the tree keeps its rightmost path).
    pub fn append(&self, leaf: [u8; 32]) -> Result<()> {
        let seeds = self.signer_seeds();
        let signer = &[&seeds[..]];
        spl_account_compression::cpi::append(
            CpiContext::new_with_signer(self.compression_program.to_account_info(), self.modify_accounts(), signer),
            leaf,
        )
    }

    /// Replaces a leaf the caller has already proven with `verify_leaf`.
    pub fn replace(
        &self,
        root: [u8; 32],
        previous_leaf: [u8; 32],
        new_leaf: [u8; 32],
        index: u32,
        proof: &[AccountInfo<'info>],
    ) -> Result<()> {
        let seeds = self.signer_seeds();
        let signer = &[&seeds[..]];
        spl_account_compression::cpi::replace_leaf(
            CpiContext::new_with_signer(self.compression_program.to_account_info(), self.modify_accounts(), signer)
                .with_remaining_accounts(proof.to_vec()),
            root,
            previous_leaf,
            new_leaf,
            index,
        )
    }

    /// Replaces the proven leaf of `current` by `new` and logs the change: the one path by
    /// which an existing record changes.
    #[allow(clippy::too_many_arguments)]
    pub fn replace_record(
        &self,
        root: [u8; 32],
        current: &NodeRecord,
        previous_leaf: [u8; 32],
        new: NodeRecord,
        change: NodeChange,
        attestation: Attestation,
        proof: &[AccountInfo<'info>],
    ) -> Result<()> {
        self.replace(root, previous_leaf, new.leaf_hash(), current.leaf_index, proof)?;
        let Attestation { epoch, oracles, gpu_ids } = attestation;
        self.log(&NodeEvent { change, tree: self.tree_config.merkle_tree, record: new, epoch, oracles, gpu_ids })
    }

    /// Logs a node event through the noop program.
    pub fn log(&self, event: &NodeEvent) -> Result<()> {
        let mut data = Vec::with_capacity(256);
        data.extend_from_slice(&NODE_EVENT_TAG);
        event.serialize(&mut data)?;
        wrap_application_data_v1(data, self.noop_program)
    }
}

/// Initialises an allocated tree account. Built by hand because the generated CPI helper
/// passes the tree read-only, and the real runtime then refuses the write.
pub fn init_empty_tree<'info>(
    merkle_tree: &AccountInfo<'info>,
    tree_config: &AccountInfo<'info>,
    tree_config_bump: u8,
    compression_program: &AccountInfo<'info>,
    noop_program: &AccountInfo<'info>,
    max_depth: u32,
    max_buffer_size: u32,
) -> Result<()> {
    let ix = Instruction {
        program_id: spl_account_compression::ID,
        accounts: vec![
            AccountMeta::new(merkle_tree.key(), false),
            AccountMeta::new_readonly(tree_config.key(), true),
            AccountMeta::new_readonly(noop_program.key(), false),
        ],
        data: spl_account_compression::instruction::InitEmptyMerkleTree { max_depth, max_buffer_size }.data(),
    };
    let tree_key = merkle_tree.key();
    let seeds: &[&[u8]] = &[TREE_SEED, tree_key.as_ref(), &[tree_config_bump]];
    invoke_signed(&ix, &[merkle_tree.clone(), tree_config.clone(), noop_program.clone(), compression_program.clone()], &[seeds])?;
    Ok(())
}

/// Reads an initialised tree's header.
pub fn read_header(merkle_tree: &AccountInfo) -> Result<ConcurrentMerkleTreeHeader> {
    let data = merkle_tree.try_borrow_data()?;
    require!(data.len() >= CONCURRENT_MERKLE_TREE_HEADER_SIZE_V1, RegistryError::InvalidTreeAccount);
    let header = ConcurrentMerkleTreeHeader::try_from_slice(&data[..CONCURRENT_MERKLE_TREE_HEADER_SIZE_V1])
        .map_err(|_| error!(RegistryError::InvalidTreeAccount))?;
    header.assert_valid().map_err(|_| error!(RegistryError::InvalidTreeAccount))?;
    Ok(header)
}

/// Depth of the canopy stored after the tree, from the account's size.
pub fn canopy_depth(merkle_tree: &AccountInfo, header: &ConcurrentMerkleTreeHeader) -> Result<u32> {
    let tree_size = merkle_tree_get_size(header).map_err(|_| error!(RegistryError::InvalidTreeAccount))?;
    let canopy_bytes = merkle_tree
        .data_len()
        .checked_sub(CONCURRENT_MERKLE_TREE_HEADER_SIZE_V1.saturating_add(tree_size))
        .ok_or_else(|| error!(RegistryError::InvalidTreeAccount))?;
    // A canopy of depth d holds 2^(d+1) - 2 nodes of 32 bytes.
    let nodes = (canopy_bytes / 32).saturating_add(2);
    require!(canopy_bytes % 32 == 0 && nodes.is_power_of_two(), RegistryError::InvalidTreeAccount);
    // nodes >= 2 is a power of two, so it has at least one trailing zero.
    Ok(nodes.trailing_zeros().saturating_sub(1))
}

/// Proves that `leaf` sits at `index` of the tree, for a root still in the tree's
/// change-log buffer, with the proof nodes passed as accounts (canopy filled in).
/// Done before the CPI so that a bad proof fails with a registry error.
pub fn verify_leaf(merkle_tree: &AccountInfo, root: [u8; 32], leaf: [u8; 32], index: u32, proof: &[AccountInfo]) -> Result<()> {
    let header = read_header(merkle_tree)?;
    header.assert_valid_leaf_index(index).map_err(|_| error!(RegistryError::InvalidProof))?;
    let data = merkle_tree.try_borrow_data()?;
    let rest = &data[CONCURRENT_MERKLE_TREE_HEADER_SIZE_V1..];
    let tree_size = merkle_tree_get_size(&header).map_err(|_| error!(RegistryError::InvalidTreeAccount))?;
    require!(rest.len() >= tree_size, RegistryError::InvalidTreeAccount);
    let (tree_bytes, canopy_bytes) = rest.split_at(tree_size);
    let max_depth = header.get_max_depth() as usize;
    require!(proof.len() <= max_depth, RegistryError::InvalidProof);
    let mut proof_vec: Vec<[u8; 32]> = proof.iter().map(|node| node.key.to_bytes()).collect();
    fill_in_proof_from_canopy(canopy_bytes, header.get_max_depth(), index, &mut proof_vec)
        .map_err(|_| error!(RegistryError::InvalidProof))?;
    require!(proof_vec.len() == max_depth, RegistryError::InvalidProof);
    let args = ProveLeafArgs { current_root: root, leaf, proof_vec, index };
    merkle_tree_prove_leaf(&header, merkle_tree.key(), tree_bytes, &args).map_err(|_| error!(RegistryError::InvalidProof))?;
    Ok(())
}
