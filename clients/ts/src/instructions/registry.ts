// Builders for every registry instruction (crates/sdk/src/registry.rs): each fills in the
// PDAs and program ids, takes the other keys by name and the arguments by their IDL names.
import { web3 } from "@coral-xyz/anchor";
import { instruction } from "../build";
import * as pda from "../pda";
import {
  COMPRESSION_PROGRAM_ID,
  NOOP_PROGRAM_ID,
  REGISTRY_PROGRAM_ID,
  SYSTEM_PROGRAM_ID,
  type InstructionArgs,
  type Registry,
} from "../programs";

type PublicKey = web3.PublicKey;
type Args<N extends Registry["instructions"][number]["name"]> = InstructionArgs<Registry, N>;
type Ix = web3.TransactionInstruction;
const build = (name: string, keys: Record<string, PublicKey | null>, args: object, remaining: web3.AccountMeta[] = []) =>
  instruction("registry", name, keys, args, remaining);

/** A proof node as it travels: a read-only account whose key is the node's hash. */
export function proofMetas(proof: readonly (PublicKey | Uint8Array | number[])[]): web3.AccountMeta[] {
  return proof.map((node) => ({
    pubkey: node instanceof web3.PublicKey ? node : new web3.PublicKey(Uint8Array.from(node)),
    isSigner: false,
    isWritable: false,
  }));
}

/** A leaf's tree and the proof nodes below the canopy. */
export interface LeafInputs {
  merkleTree: PublicKey;
  proof: readonly (PublicKey | Uint8Array | number[])[];
}

/** Opens the registry. `deployer` must be the program's upgrade authority. */
export function initialize(i: { payer: PublicKey; deployer: PublicKey }, args: Args<"initialize">): Ix {
  return build(
    "initialize",
    {
      payer: i.payer,
      deployer: i.deployer,
      program_data: pda.programData(REGISTRY_PROGRAM_ID),
      config: pda.registryConfig(),
      catalogue: pda.gpuCatalogue(),
      system_program: SYSTEM_PROGRAM_ID,
    },
    args,
  );
}

export function proposeAuthority(i: { authority: PublicKey }, args: Args<"propose_authority">): Ix {
  return build("propose_authority", { authority: i.authority, config: pda.registryConfig() }, args);
}

export function acceptAuthority(i: { newAuthority: PublicKey }, args: Args<"accept_authority"> = {}): Ix {
  return build("accept_authority", { new_authority: i.newAuthority, config: pda.registryConfig() }, args);
}

/** Removes `remove` and adds `add` to the oracle set (refused if the threshold is not `expected_threshold`). */
export function setOracles(i: { authority: PublicKey }, args: Args<"set_oracles">): Ix {
  return build("set_oracles", { authority: i.authority, config: pda.registryConfig() }, args);
}

const catalogue = (authority: PublicKey) => ({ authority, config: pda.registryConfig(), catalogue: pda.gpuCatalogue() });

export function addGpuModel(i: { authority: PublicKey }, args: Args<"add_gpu_model">): Ix {
  return build("add_gpu_model", catalogue(i.authority), args);
}

export function updateGpuModel(i: { authority: PublicKey }, args: Args<"update_gpu_model">): Ix {
  return build("update_gpu_model", catalogue(i.authority), args);
}

export function retireGpuModel(i: { authority: PublicKey }, args: Args<"retire_gpu_model">): Ix {
  return build("retire_gpu_model", catalogue(i.authority), args);
}

/**
 * Opens `merkleTree` as a registry tree. The account must have been allocated (owned by the
 * compression program) in the same transaction, and `merkleTree` signs.
 */
export function createTree(i: { payer: PublicKey; authority: PublicKey; merkleTree: PublicKey }, args: Args<"create_tree">): Ix {
  return build(
    "create_tree",
    {
      payer: i.payer,
      authority: i.authority,
      config: pda.registryConfig(),
      tree_config: pda.treeConfig(i.merkleTree),
      merkle_tree: i.merkleTree,
      compression_program: COMPRESSION_PROGRAM_ID,
      noop_program: NOOP_PROGRAM_ID,
      system_program: SYSTEM_PROGRAM_ID,
    },
    args,
  );
}

/** Opens the next tree once the active one is nearly full (permissionless). */
export function openTree(i: { payer: PublicKey; activeTree: PublicKey; merkleTree: PublicKey }, args: Args<"open_tree"> = {}): Ix {
  return build(
    "open_tree",
    {
      payer: i.payer,
      config: pda.registryConfig(),
      active_tree_config: pda.treeConfig(i.activeTree),
      tree_config: pda.treeConfig(i.merkleTree),
      merkle_tree: i.merkleTree,
      compression_program: COMPRESSION_PROGRAM_ID,
      noop_program: NOOP_PROGRAM_ID,
      system_program: SYSTEM_PROGRAM_ID,
    },
    args,
  );
}

export function setRegistrationParams(i: { authority: PublicKey }, args: Args<"set_registration_params">): Ix {
  return build("set_registration_params", { authority: i.authority, config: pda.registryConfig() }, args);
}

export function setVerificationLease(i: { authority: PublicKey }, args: Args<"set_verification_lease">): Ix {
  return build("set_verification_lease", { authority: i.authority, config: pda.registryConfig() }, args);
}

export function sweepForfeitedDeposits(
  i: { authority: PublicKey; destination: PublicKey },
  args: Args<"sweep_forfeited_deposits"> = {},
): Ix {
  return build("sweep_forfeited_deposits", { authority: i.authority, config: pda.registryConfig(), destination: i.destination }, args);
}

/** Registers a node in the active tree; `operator` and `node` both sign. */
export function registerNode(i: { operator: PublicKey; node: PublicKey; merkleTree: PublicKey }, args: Args<"register_node">): Ix {
  return build(
    "register_node",
    {
      operator: i.operator,
      node: i.node,
      config: pda.registryConfig(),
      catalogue: pda.gpuCatalogue(),
      tree_config: pda.treeConfig(i.merkleTree),
      merkle_tree: i.merkleTree,
      operator_stats: pda.operatorStats(i.operator),
      compression_program: COMPRESSION_PROGRAM_ID,
      noop_program: NOOP_PROGRAM_ID,
      system_program: SYSTEM_PROGRAM_ID,
    },
    args,
  );
}

const modify = (operator: PublicKey, merkleTree: PublicKey) => ({
  operator,
  catalogue: pda.gpuCatalogue(),
  tree_config: pda.treeConfig(merkleTree),
  merkle_tree: merkleTree,
  operator_stats: pda.operatorStats(operator),
  compression_program: COMPRESSION_PROGRAM_ID,
  noop_program: NOOP_PROGRAM_ID,
});

/** Changes a node's hardware; the operator (`args.current.operator`) signs. */
export function updateNode(i: LeafInputs, args: Args<"update_node">): Ix {
  return build("update_node", modify(args.current.operator, i.merkleTree), args, proofMetas(i.proof));
}

export function retireNode(i: LeafInputs, args: Args<"retire_node">): Ix {
  return build("retire_node", modify(args.current.operator, i.merkleTree), args, proofMetas(i.proof));
}

/** `oracle`'s vote about leaf `args.args.leaf_index`; `payer` pays the ballot's rent if this vote opens it. */
export function submitVerdict(i: { payer: PublicKey; oracle: PublicKey; merkleTree: PublicKey }, args: Args<"submit_verdict">): Ix {
  return build(
    "submit_verdict",
    {
      payer: i.payer,
      oracle: i.oracle,
      config: pda.registryConfig(),
      merkle_tree: i.merkleTree,
      ballot: pda.ballot(i.merkleTree, args.args.leaf_index),
      system_program: SYSTEM_PROGRAM_ID,
    },
    args,
  );
}

/** Closes a stale ballot; its rent goes back to `rentPayer`, the one that opened it. */
export function closeBallot(i: { ballot: PublicKey; rentPayer: PublicKey }, args: Args<"close_ballot"> = {}): Ix {
  return build("close_ballot", { config: pda.registryConfig(), ballot: i.ballot, rent_payer: i.rentPayer }, args);
}

/** Applies a leaf's ballot once a quorum voted; anyone may send it. */
export function attestNode(i: LeafInputs & { rentPayer: PublicKey }, args: Args<"attest_node">): Ix {
  const record = args.args.current;
  return build(
    "attest_node",
    {
      config: pda.registryConfig(),
      catalogue: pda.gpuCatalogue(),
      tree_config: pda.treeConfig(i.merkleTree),
      merkle_tree: i.merkleTree,
      operator_stats: pda.operatorStats(record.operator),
      ballot: pda.ballot(i.merkleTree, record.leaf_index),
      rent_payer: i.rentPayer,
      compression_program: COMPRESSION_PROGRAM_ID,
      noop_program: NOOP_PROGRAM_ID,
    },
    args,
    proofMetas(i.proof),
  );
}
