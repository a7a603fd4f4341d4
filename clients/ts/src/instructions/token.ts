// The SPL instructions a wallet flow needs beside the suite's: a wallet's associated $IO
// account, created when missing (claims and withdrawals pay into it).
import { web3 } from "@coral-xyz/anchor";
import { associatedToken } from "../pda";
import { ASSOCIATED_TOKEN_PROGRAM_ID, SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID } from "../programs";

type PublicKey = web3.PublicKey;

/**
 * Creates `owner`'s associated token account of `mint`, paid by `payer`; does nothing when
 * it exists (the associated token program's `CreateIdempotent`, instruction 1).
 */
export function createAssociatedTokenIdempotent(i: { payer: PublicKey; owner: PublicKey; mint: PublicKey }): web3.TransactionInstruction {
  return new web3.TransactionInstruction({
    programId: ASSOCIATED_TOKEN_PROGRAM_ID,
    keys: [
      { pubkey: i.payer, isSigner: true, isWritable: true },
      { pubkey: associatedToken(i.owner, i.mint), isSigner: false, isWritable: true },
      { pubkey: i.owner, isSigner: false, isWritable: false },
      { pubkey: i.mint, isSigner: false, isWritable: false },
      { pubkey: SYSTEM_PROGRAM_ID, isSigner: false, isWritable: false },
      { pubkey: TOKEN_PROGRAM_ID, isSigner: false, isWritable: false },
    ],
    data: Buffer.from([1]),
  });
}
