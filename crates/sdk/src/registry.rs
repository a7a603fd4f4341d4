//! Instruction builders for every registry instruction.
//!
//! Each builder takes the keys it needs and fills in the PDAs and program ids, so a
//! caller never has to know the account order of the program.

use crate::pda;
use crate::tree::TreeShape;
use crate::{COMPRESSION_PROGRAM_ID, NOOP_PROGRAM_ID};
use anchor_lang::{InstructionData, ToAccountMetas};
use io_registry::{
    accounts, instruction, AttestNodeArgs, GpuModelArgs, HardwareSpec, InitializeArgs, NodeMetrics, NodeRecord, RegistrationParams,
    RegistrationParamsChange, SubmitVerdictArgs, Verdict, VerdictSubject, GPU_ID_LEN,
};
use solana_sdk::instruction::{AccountMeta, Instruction};
use solana_sdk::pubkey::Pubkey;
use solana_system_interface::instruction as system_instruction;
use solana_system_interface::program as system_program;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: io_registry::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

fn proof_metas(proof: &[[u8; 32]]) -> impl Iterator<Item = AccountMeta> + '_ {
    proof.iter().map(|node| AccountMeta::new_readonly(Pubkey::new_from_array(*node), false))
}

/// Opens the registry. `deployer` must be the program's upgrade authority.
pub fn initialize(payer: &Pubkey, deployer: &Pubkey, args: InitializeArgs) -> Instruction {
    build(
        accounts::Initialize {
            payer: *payer,
            deploy: accounts::Deployer { deployer: *deployer, program_data: pda::program_data(&io_registry::ID) },
            config: pda::registry_config(),
            catalogue: pda::gpu_catalogue(),
            system_program: system_program::ID,
        },
        instruction::Initialize { args },
    )
}

pub fn propose_authority(authority: &Pubkey, new_authority: &Pubkey) -> Instruction {
    build(
        accounts::ProposeAuthority { authority: *authority, config: pda::registry_config() },
        instruction::ProposeAuthority { new_authority: *new_authority },
    )
}

pub fn accept_authority(new_authority: &Pubkey) -> Instruction {
    build(accounts::AcceptAuthority { new_authority: *new_authority, config: pda::registry_config() }, instruction::AcceptAuthority {})
}

/// Changes the oracle set from `current` (keys and threshold as they stand) to `wanted`:
/// the instruction removes the keys `wanted` lacks and adds those it brings, so it is
/// refused (`StaleParams`) if the set changed under it, and composes with a change about
/// other keys. The order of `wanted` is kept for the keys it adds.
pub fn set_oracles(authority: &Pubkey, current: (&[Pubkey], u8), wanted: (&[Pubkey], u8)) -> Instruction {
    let remove = current.0.iter().filter(|k| !wanted.0.contains(k)).copied().collect();
    let add = wanted.0.iter().filter(|k| !current.0.contains(k)).copied().collect();
    build(
        accounts::SetOracles { authority: *authority, config: pda::registry_config() },
        instruction::SetOracles { remove, add, expected_threshold: current.1, threshold: wanted.1 },
    )
}

fn catalogue_accounts(authority: &Pubkey) -> accounts::ChangeCatalogue {
    accounts::ChangeCatalogue { authority: *authority, config: pda::registry_config(), catalogue: pda::gpu_catalogue() }
}

pub fn add_gpu_model(authority: &Pubkey, args: GpuModelArgs) -> Instruction {
    build(catalogue_accounts(authority), instruction::AddGpuModel { args })
}

/// Rewrites catalogue entry `model_id`, which must still be `expected`.
pub fn update_gpu_model(authority: &Pubkey, model_id: u16, expected: GpuModelArgs, args: GpuModelArgs) -> Instruction {
    build(catalogue_accounts(authority), instruction::UpdateGpuModel { model_id, expected, args })
}

pub fn retire_gpu_model(authority: &Pubkey, model_id: u16) -> Instruction {
    build(catalogue_accounts(authority), instruction::RetireGpuModel { model_id })
}

/// Allocates the tree account (owned by the compression program) and opens it as a
/// registry tree. `merkle_tree` must sign the transaction; `lamports` is the rent
/// exemption of `shape.account_size()`.
pub fn create_tree(payer: &Pubkey, authority: &Pubkey, merkle_tree: &Pubkey, shape: TreeShape, lamports: u64) -> [Instruction; 2] {
    let allocate = system_instruction::create_account(payer, merkle_tree, lamports, shape.account_size() as u64, &COMPRESSION_PROGRAM_ID);
    let open = build(
        accounts::CreateTree {
            payer: *payer,
            authority: *authority,
            config: pda::registry_config(),
            tree_config: pda::tree_config(merkle_tree),
            merkle_tree: *merkle_tree,
            compression_program: COMPRESSION_PROGRAM_ID,
            noop_program: NOOP_PROGRAM_ID,
            system_program: system_program::ID,
        },
        instruction::CreateTree { max_depth: shape.max_depth, max_buffer_size: shape.max_buffer_size },
    );
    [allocate, open]
}

/// Allocates a tree account of the configured shape and opens it with `open_tree`
/// (permissionless once the active tree is nearly full). `merkle_tree` signs; both
/// instructions go in one transaction, so nobody can initialise the account in between.
pub fn open_tree(payer: &Pubkey, active_tree: &Pubkey, merkle_tree: &Pubkey, shape: TreeShape, lamports: u64) -> [Instruction; 2] {
    let allocate = system_instruction::create_account(payer, merkle_tree, lamports, shape.account_size() as u64, &COMPRESSION_PROGRAM_ID);
    let open = build(
        accounts::OpenTree {
            payer: *payer,
            config: pda::registry_config(),
            active_tree_config: pda::tree_config(active_tree),
            tree_config: pda::tree_config(merkle_tree),
            merkle_tree: *merkle_tree,
            compression_program: COMPRESSION_PROGRAM_ID,
            noop_program: NOOP_PROGRAM_ID,
            system_program: system_program::ID,
        },
        instruction::OpenTree {},
    );
    [allocate, open]
}

/// Changes the registration parameters from `current` to `wanted`, naming only the fields
/// that differ (refused with `StaleParams` if one of them changes before it runs).
pub fn set_registration_params(authority: &Pubkey, current: &RegistrationParams, wanted: &RegistrationParams) -> Instruction {
    let (expected, change) = RegistrationParamsChange::between(current, wanted);
    build(
        accounts::SetRegistrationParams { authority: *authority, config: pda::registry_config() },
        instruction::SetRegistrationParams { expected, change },
    )
}

/// Changes the verification lease from `expected_lease_epochs` to `lease_epochs`.
pub fn set_verification_lease(authority: &Pubkey, expected_lease_epochs: u64, lease_epochs: u64) -> Instruction {
    build(
        accounts::SetVerificationLease { authority: *authority, config: pda::registry_config() },
        instruction::SetVerificationLease { expected_lease_epochs, lease_epochs },
    )
}

pub fn sweep_forfeited_deposits(authority: &Pubkey, destination: &Pubkey) -> Instruction {
    build(
        accounts::SweepForfeitedDeposits { authority: *authority, config: pda::registry_config(), destination: *destination },
        instruction::SweepForfeitedDeposits {},
    )
}

/// Registers a node in the active tree; `operator` and `node` both sign.
pub fn register_node(operator: &Pubkey, node: &Pubkey, merkle_tree: &Pubkey, spec: HardwareSpec) -> Instruction {
    build(
        accounts::RegisterNode {
            operator: *operator,
            node: *node,
            config: pda::registry_config(),
            catalogue: pda::gpu_catalogue(),
            tree_config: pda::tree_config(merkle_tree),
            merkle_tree: *merkle_tree,
            operator_stats: pda::operator_stats(operator),
            compression_program: COMPRESSION_PROGRAM_ID,
            noop_program: NOOP_PROGRAM_ID,
            system_program: system_program::ID,
        },
        instruction::RegisterNode { spec },
    )
}

fn modify_accounts(operator: &Pubkey, merkle_tree: &Pubkey) -> accounts::ModifyNode {
    accounts::ModifyNode {
        operator: *operator,
        catalogue: pda::gpu_catalogue(),
        tree_config: pda::tree_config(merkle_tree),
        merkle_tree: *merkle_tree,
        operator_stats: pda::operator_stats(operator),
        compression_program: COMPRESSION_PROGRAM_ID,
        noop_program: NOOP_PROGRAM_ID,
    }
}

/// A leaf as the client last saw it: the record, the root it proved against, and the
/// proof nodes below the canopy.
#[derive(Clone, Debug)]
pub struct ProvenLeaf {
    pub merkle_tree: Pubkey,
    pub root: [u8; 32],
    pub record: NodeRecord,
    pub proof: Vec<[u8; 32]>,
}

pub fn update_node(leaf: &ProvenLeaf, spec: HardwareSpec) -> Instruction {
    let mut ix = build(
        modify_accounts(&leaf.record.operator, &leaf.merkle_tree),
        instruction::UpdateNode { root: leaf.root, current: leaf.record, spec },
    );
    ix.accounts.extend(proof_metas(&leaf.proof));
    ix
}

pub fn retire_node(leaf: &ProvenLeaf) -> Instruction {
    let mut ix =
        build(modify_accounts(&leaf.record.operator, &leaf.merkle_tree), instruction::RetireNode { root: leaf.root, current: leaf.record });
    ix.accounts.extend(proof_metas(&leaf.proof));
    ix
}

/// The subject of an audit of `leaf` in `epoch`: what every voting oracle must agree on.
/// `gpu_ids` are the proven GPUs' identities (`crate::gpu_ids`), empty for a suspension.
pub fn verdict_subject(
    leaf: &ProvenLeaf,
    epoch: u64,
    verdict: Verdict,
    forfeit_deposit: bool,
    gpu_ids: Vec<[u8; GPU_ID_LEN]>,
) -> VerdictSubject {
    VerdictSubject { epoch, record_hash: leaf.record.leaf_hash(), verdict, forfeit_deposit, gpu_ids }
}

/// `oracle`'s vote about `leaf` with its own measurement; `payer` pays the ballot's rent
/// if this vote opens it.
pub fn submit_verdict(payer: &Pubkey, oracle: &Pubkey, leaf: &ProvenLeaf, subject: VerdictSubject, metrics: NodeMetrics) -> Instruction {
    let leaf_index = leaf.record.leaf_index;
    build(
        accounts::SubmitVerdict {
            payer: *payer,
            oracle: *oracle,
            config: pda::registry_config(),
            merkle_tree: leaf.merkle_tree,
            ballot: pda::ballot(&leaf.merkle_tree, leaf_index),
            system_program: system_program::ID,
        },
        instruction::SubmitVerdict { args: SubmitVerdictArgs { leaf_index, subject, metrics } },
    )
}

/// Closes the ballot at `ballot` (no attestation applied it, and it is
/// `BALLOT_LIFETIME_EPOCHS` old); its rent goes to `rent_payer`, the one that opened it.
pub fn close_ballot(ballot: &Pubkey, rent_payer: &Pubkey) -> Instruction {
    build(accounts::CloseBallot { config: pda::registry_config(), ballot: *ballot, rent_payer: *rent_payer }, instruction::CloseBallot {})
}

/// Applies `leaf`'s ballot once a quorum voted; anyone may send it. `rent_payer` is the
/// ballot's (it gets the rent back).
pub fn attest_node(leaf: &ProvenLeaf, rent_payer: &Pubkey) -> Instruction {
    let mut ix = build(
        accounts::AttestNode {
            config: pda::registry_config(),
            catalogue: pda::gpu_catalogue(),
            tree_config: pda::tree_config(&leaf.merkle_tree),
            merkle_tree: leaf.merkle_tree,
            operator_stats: pda::operator_stats(&leaf.record.operator),
            ballot: pda::ballot(&leaf.merkle_tree, leaf.record.leaf_index),
            rent_payer: *rent_payer,
            compression_program: COMPRESSION_PROGRAM_ID,
            noop_program: NOOP_PROGRAM_ID,
        },
        instruction::AttestNode { args: AttestNodeArgs { root: leaf.root, current: leaf.record } },
    );
    ix.accounts.extend(proof_metas(&leaf.proof));
    ix
}
