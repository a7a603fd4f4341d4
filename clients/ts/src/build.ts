// Assembles an instruction from the IDL: the account list of instruction `name` in order
// (nested account groups flattened), its signer/writable flags from the IDL, the keys
// from `keys` by account name, and the data from the program's BorshCoder.
import { web3, type Idl } from "@coral-xyz/anchor";
import { CODERS, IDLS, PROGRAM_IDS, type ProgramName } from "./programs";

type PublicKey = web3.PublicKey;
export type AccountMeta = web3.AccountMeta;

interface IdlAccountNode {
  name: string;
  writable?: boolean;
  signer?: boolean;
  optional?: boolean;
  accounts?: IdlAccountNode[];
}

function flatten(nodes: readonly IdlAccountNode[]): IdlAccountNode[] {
  return nodes.flatMap((n) => (n.accounts ? flatten(n.accounts) : [n]));
}

/**
 * The account metas of `name`, as Anchor's `ToAccountMetas` orders them. An optional
 * account passed as `null`/`undefined` takes the program id's place (read-only), as Anchor
 * encodes `None`.
 */
export function accountMetas(program: ProgramName, name: string, keys: Record<string, PublicKey | null | undefined>): AccountMeta[] {
  const idl = IDLS[program] as unknown as Idl;
  const ix = idl.instructions.find((i) => i.name === name);
  if (!ix) throw new Error(`${program} has no instruction ${name}`);
  return flatten(ix.accounts as unknown as IdlAccountNode[]).map((account) => {
    const key = keys[account.name];
    if (key == null) {
      if (account.optional) return { pubkey: PROGRAM_IDS[program], isSigner: false, isWritable: false };
      throw new Error(`${program}.${name}: account ${account.name} missing`);
    }
    return { pubkey: key, isSigner: !!account.signer, isWritable: !!account.writable };
  });
}

export function instruction(
  program: ProgramName,
  name: string,
  keys: Record<string, PublicKey | null | undefined>,
  args: object,
  remaining: AccountMeta[] = [],
): web3.TransactionInstruction {
  return new web3.TransactionInstruction({
    programId: PROGRAM_IDS[program],
    keys: [...accountMetas(program, name, keys), ...remaining],
    data: CODERS[program].instruction.encode(name, args),
  });
}
