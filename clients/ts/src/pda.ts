// Every program-derived address of the suite (crates/sdk/src/pda.rs, same names in camelCase;
// seeds from programs/*/src/constants.rs). The IDLs carry no seeds: they are here only.
import { BN, web3 } from "@coral-xyz/anchor";
import {
  ASSOCIATED_TOKEN_PROGRAM_ID,
  BPF_LOADER_UPGRADEABLE_ID,
  EMISSIONS_PROGRAM_ID,
  GOVERNANCE_PROGRAM_ID,
  REGISTRY_PROGRAM_ID,
  STAKING_PROGRAM_ID,
  TOKEN_PROGRAM_ID,
  TREASURY_PROGRAM_ID,
} from "./programs";

type PublicKey = web3.PublicKey;
/** A u64 as a BN, a bigint or a (safe) number. */
export type U64 = BN | bigint | number | string;

const seed = (s: string) => Buffer.from(s, "utf8");
const find = (seeds: Buffer[], program: PublicKey) => web3.PublicKey.findProgramAddressSync(seeds, program)[0];

export function u64Bytes(v: U64): Buffer {
  return new BN(v.toString()).toArrayLike(Buffer, "le", 8);
}

export function u32Bytes(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

export const SEEDS = {
  registryConfig: "config",
  gpuCatalogue: "catalogue",
  tree: "tree",
  operator: "operator",
  ballot: "ballot",
  stakingConfig: "staking_config",
  vault: "vault",
  stake: "stake",
  slash: "slash",
  rewardVault: "reward_vault",
  emissions: "emissions",
  treasury: "treasury",
  iosdMint: "iosd_mint",
  treasuryIosd: "treasury_iosd",
  treasuryIo: "treasury_io",
  buybackPool: "buyback_pool",
  governance: "governance",
  dao: "dao",
  proposal: "proposal",
  vote: "vote",
} as const;

export const registryConfig = () => find([seed(SEEDS.registryConfig)], REGISTRY_PROGRAM_ID);
export const gpuCatalogue = () => find([seed(SEEDS.gpuCatalogue)], REGISTRY_PROGRAM_ID);
/** The tree's config account, which is also the tree's authority. */
export const treeConfig = (merkleTree: PublicKey) => find([seed(SEEDS.tree), merkleTree.toBuffer()], REGISTRY_PROGRAM_ID);
export const operatorStats = (operator: PublicKey) => find([seed(SEEDS.operator), operator.toBuffer()], REGISTRY_PROGRAM_ID);
/** The ballot of leaf `leafIndex` of `merkleTree`. */
export const ballot = (merkleTree: PublicKey, leafIndex: number) =>
  find([seed(SEEDS.ballot), merkleTree.toBuffer(), u32Bytes(leafIndex)], REGISTRY_PROGRAM_ID);

export const stakingConfig = () => find([seed(SEEDS.stakingConfig)], STAKING_PROGRAM_ID);
export const stakingVault = () => find([seed(SEEDS.vault)], STAKING_PROGRAM_ID);
export const operatorStake = (operator: PublicKey) => find([seed(SEEDS.stake), operator.toBuffer()], STAKING_PROGRAM_ID);
export const slashProposal = (id: U64) => find([seed(SEEDS.slash), u64Bytes(id)], STAKING_PROGRAM_ID);
export const stakingRewardVault = () => find([seed(SEEDS.rewardVault)], STAKING_PROGRAM_ID);

/** The emissions config: $IO mint authority and staking's reward distributor. */
export const emissionsConfig = () => find([seed(SEEDS.emissions)], EMISSIONS_PROGRAM_ID);

export const treasuryConfig = () => find([seed(SEEDS.treasury)], TREASURY_PROGRAM_ID);
/** The IOSD mint (its authority is the treasury config). */
export const iosdMint = () => find([seed(SEEDS.iosdMint)], TREASURY_PROGRAM_ID);
/** The treasury's IOSD fee vault. */
export const treasuryIosdVault = () => find([seed(SEEDS.treasuryIosd)], TREASURY_PROGRAM_ID);
/** The treasury's $IO vault. */
export const treasuryIoVault = () => find([seed(SEEDS.treasuryIo)], TREASURY_PROGRAM_ID);
/** The IOSD buyback pool. */
export const buybackPool = () => find([seed(SEEDS.buybackPool)], TREASURY_PROGRAM_ID);

/** The governance config (DAO parameters, proposal counter). */
export const governanceConfig = () => find([seed(SEEDS.governance)], GOVERNANCE_PROGRAM_ID);
/** The DAO's signing PDA: the config authority of every program after genesis. */
export const dao = () => find([seed(SEEDS.dao)], GOVERNANCE_PROGRAM_ID);
export const proposal = (id: U64) => find([seed(SEEDS.proposal), u64Bytes(id)], GOVERNANCE_PROGRAM_ID);
export const voteRecord = (proposal: PublicKey, voter: PublicKey) =>
  find([seed(SEEDS.vote), proposal.toBuffer(), voter.toBuffer()], GOVERNANCE_PROGRAM_ID);

/** The ProgramData account of an upgradeable program (names its upgrade authority). */
export const programData = (programId: PublicKey) => find([programId.toBuffer()], BPF_LOADER_UPGRADEABLE_ID);

/** `owner`'s associated token account of `mint` (SPL Token), where wallets keep their $IO. */
export const associatedToken = (owner: PublicKey, mint: PublicKey) =>
  find([owner.toBuffer(), TOKEN_PROGRAM_ID.toBuffer(), mint.toBuffer()], ASSOCIATED_TOKEN_PROGRAM_ID);
