// The five programs: their IDLs (typed, generated from the repository's idl/*.json), ids and
// Borsh coders.
import { BorshCoder, web3, type Idl, type IdlTypes, type DecodeType } from "@coral-xyz/anchor";
import {
  emissionsIdl,
  governanceIdl,
  registryIdl,
  stakingIdl,
  treasuryIdl,
  type Emissions,
  type Governance,
  type Registry,
  type Staking,
  type Treasury,
} from "./idl";

export { emissionsIdl, governanceIdl, registryIdl, stakingIdl, treasuryIdl };
export type { Emissions, Governance, Registry, Staking, Treasury };

export const IDLS = {
  registry: registryIdl,
  staking: stakingIdl,
  emissions: emissionsIdl,
  treasury: treasuryIdl,
  governance: governanceIdl,
} as const;
export type ProgramName = keyof typeof IDLS;
export const PROGRAM_NAMES = Object.keys(IDLS) as ProgramName[];

export const REGISTRY_PROGRAM_ID = new web3.PublicKey(registryIdl.address);
export const STAKING_PROGRAM_ID = new web3.PublicKey(stakingIdl.address);
export const EMISSIONS_PROGRAM_ID = new web3.PublicKey(emissionsIdl.address);
export const TREASURY_PROGRAM_ID = new web3.PublicKey(treasuryIdl.address);
export const GOVERNANCE_PROGRAM_ID = new web3.PublicKey(governanceIdl.address);

export const PROGRAM_IDS: Record<ProgramName, web3.PublicKey> = {
  registry: REGISTRY_PROGRAM_ID,
  staking: STAKING_PROGRAM_ID,
  emissions: EMISSIONS_PROGRAM_ID,
  treasury: TREASURY_PROGRAM_ID,
  governance: GOVERNANCE_PROGRAM_ID,
};

/** Programs outside the suite that the instructions name. */
export const SYSTEM_PROGRAM_ID = web3.SystemProgram.programId;
export const TOKEN_PROGRAM_ID = new web3.PublicKey("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
/** SPL associated token accounts: a wallet's canonical token account of each mint. */
export const ASSOCIATED_TOKEN_PROGRAM_ID = new web3.PublicKey("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");
export const BPF_LOADER_UPGRADEABLE_ID = new web3.PublicKey("BPFLoaderUpgradeab1e11111111111111111111111");
/** SPL account compression (the registry's node trees). */
export const COMPRESSION_PROGRAM_ID = new web3.PublicKey("cmtDvXumGCrqC1Age74AVPhSRVXJMd8PJS91L8KbNCK");
/** SPL noop: the registry logs every `NodeEvent` through it. */
export const NOOP_PROGRAM_ID = new web3.PublicKey("noopb9bkMVfRPU8AsbpTUg8AQkHtKwMYZiFUjNRtMmV");

export const CODERS: Record<ProgramName, BorshCoder> = {
  registry: new BorshCoder(registryIdl as Idl),
  staking: new BorshCoder(stakingIdl as Idl),
  emissions: new BorshCoder(emissionsIdl as Idl),
  treasury: new BorshCoder(treasuryIdl as Idl),
  governance: new BorshCoder(governanceIdl as Idl),
};

/** The IDL-defined types of a program, decoded (`IdlTypes<Registry>["NodeRecord"]`...). */
export type Types<I extends Idl> = IdlTypes<I>;

type InstructionOf<I extends Idl, N extends string> = Extract<I["instructions"][number], { name: N }>;

/** The arguments of instruction `N` of program `I`, keyed by their IDL (snake_case) names. */
export type InstructionArgs<I extends Idl, N extends I["instructions"][number]["name"]> = {
  [A in InstructionOf<I, N>["args"][number] as A["name"]]: DecodeType<A["type"], IdlTypes<I>>;
};
