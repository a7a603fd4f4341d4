// Decoders of every account type of the suite's IDLs (Anchor discriminator + Borsh), and a
// typed fetch through a Connection.
import { web3, type Idl, type IdlAccounts } from "@coral-xyz/anchor";
import { CODERS, IDLS, type Emissions, type Governance, type ProgramName, type Registry, type Staking, type Treasury } from "./programs";

interface AccountTypes {
  registry: IdlAccounts<Registry>;
  staking: IdlAccounts<Staking>;
  emissions: IdlAccounts<Emissions>;
  treasury: IdlAccounts<Treasury>;
  governance: IdlAccounts<Governance>;
}
/** The account type names of program `P` (`"RegistryConfig"`, `"OperatorStake"`...). */
export type AccountName<P extends ProgramName> = keyof AccountTypes[P] & string;
/** Account `N` of program `P`, decoded. */
export type AccountOf<P extends ProgramName, N extends AccountName<P>> = AccountTypes[P][N];

/** Every account type name of `program`, from its IDL. */
export function accountNames(program: ProgramName): string[] {
  return ((IDLS[program] as unknown as Idl).accounts ?? []).map((a) => a.name);
}

/** Decodes account `name` of `program` (checks its discriminator). */
export function decodeAccount<P extends ProgramName, N extends AccountName<P>>(program: P, name: N, data: Buffer | Uint8Array): AccountOf<P, N> {
  return CODERS[program].accounts.decode(name, Buffer.from(data)) as AccountOf<P, N>;
}

/** Which account type of `program` `data` is, by its discriminator; null if none. */
export function accountType(program: ProgramName, data: Buffer | Uint8Array): string | null {
  const idl = IDLS[program] as unknown as Idl;
  const head = Buffer.from(data).subarray(0, 8);
  const found = (idl.accounts ?? []).find((a) => Buffer.from(a.discriminator).equals(head));
  return found ? found.name : null;
}

/** Fetches and decodes account `name` of `program` at `address`; null if it does not exist. */
export async function fetchAccount<P extends ProgramName, N extends AccountName<P>>(
  connection: web3.Connection,
  program: P,
  name: N,
  address: web3.PublicKey,
  commitment?: web3.Commitment,
): Promise<AccountOf<P, N> | null> {
  const info = await connection.getAccountInfo(address, commitment);
  if (!info) return null;
  const owner = new web3.PublicKey((IDLS[program] as unknown as Idl).address);
  if (!info.owner.equals(owner)) throw new Error(`${address.toBase58()} is not owned by the ${program} program`);
  return decodeAccount(program, name, info.data);
}

export const decodeRegistryConfig = (data: Uint8Array) => decodeAccount("registry", "RegistryConfig", data);
export const decodeGpuCatalogue = (data: Uint8Array) => decodeAccount("registry", "GpuCatalogue", data);
export const decodeTreeConfig = (data: Uint8Array) => decodeAccount("registry", "TreeConfig", data);
export const decodeOperatorStats = (data: Uint8Array) => decodeAccount("registry", "OperatorStats", data);
export const decodeBallot = (data: Uint8Array) => decodeAccount("registry", "Ballot", data);
export const decodeStakingConfig = (data: Uint8Array) => decodeAccount("staking", "StakingConfig", data);
export const decodeOperatorStake = (data: Uint8Array) => decodeAccount("staking", "OperatorStake", data);
export const decodeSlashProposal = (data: Uint8Array) => decodeAccount("staking", "SlashProposal", data);
export const decodeEmissionsConfig = (data: Uint8Array) => decodeAccount("emissions", "EmissionsConfig", data);
export const decodeTreasuryConfig = (data: Uint8Array) => decodeAccount("treasury", "TreasuryConfig", data);
export const decodeGovernanceConfig = (data: Uint8Array) => decodeAccount("governance", "GovernanceConfig", data);
export const decodeProposal = (data: Uint8Array) => decodeAccount("governance", "Proposal", data);
export const decodeVoteRecord = (data: Uint8Array) => decodeAccount("governance", "VoteRecord", data);
