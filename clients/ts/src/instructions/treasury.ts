// Builders for every treasury instruction (crates/sdk/src/treasury.rs).
import { web3 } from "@coral-xyz/anchor";
import { instruction } from "../build";
import * as pda from "../pda";
import { SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID, TREASURY_PROGRAM_ID, type InstructionArgs, type Treasury } from "../programs";

type PublicKey = web3.PublicKey;
type Args<N extends Treasury["instructions"][number]["name"]> = InstructionArgs<Treasury, N>;
type Ix = web3.TransactionInstruction;
const build = (name: string, keys: Record<string, PublicKey>, args: object) => instruction("treasury", name, keys, args);

export function initializeTreasury(
  i: { payer: PublicKey; deployer: PublicKey; ioMint: PublicKey },
  args: Args<"initialize_treasury">,
): Ix {
  return build(
    "initialize_treasury",
    {
      payer: i.payer,
      deployer: i.deployer,
      program_data: pda.programData(TREASURY_PROGRAM_ID),
      config: pda.treasuryConfig(),
      io_mint: i.ioMint,
      iosd_mint: pda.iosdMint(),
      iosd_vault: pda.treasuryIosdVault(),
      io_vault: pda.treasuryIoVault(),
      pool_vault: pda.buybackPool(),
      token_program: TOKEN_PROGRAM_ID,
      system_program: SYSTEM_PROGRAM_ID,
    },
    args,
  );
}

export function proposeAuthority(i: { authority: PublicKey }, args: Args<"propose_authority">): Ix {
  return build("propose_authority", { authority: i.authority, config: pda.treasuryConfig() }, args);
}

export function acceptAuthority(i: { newAuthority: PublicKey }, args: Args<"accept_authority"> = {}): Ix {
  return build("accept_authority", { new_authority: i.newAuthority, config: pda.treasuryConfig() }, args);
}

export function setTreasuryParams(i: { authority: PublicKey }, args: Args<"set_treasury_params">): Ix {
  return build("set_treasury_params", { authority: i.authority, config: pda.treasuryConfig() }, args);
}

/** The gateway mints IOSD to `to` (an IOSD token account). */
export function mintIosd(i: { gateway: PublicKey; to: PublicKey }, args: Args<"mint_iosd">): Ix {
  return build(
    "mint_iosd",
    { gateway: i.gateway, config: pda.treasuryConfig(), iosd_mint: pda.iosdMint(), to: i.to, token_program: TOKEN_PROGRAM_ID },
    args,
  );
}

export function redeemIosd(i: { holder: PublicKey; holderIosd: PublicKey }, args: Args<"redeem_iosd">): Ix {
  return build(
    "redeem_iosd",
    {
      holder: i.holder,
      config: pda.treasuryConfig(),
      iosd_mint: pda.iosdMint(),
      holder_iosd: i.holderIosd,
      token_program: TOKEN_PROGRAM_ID,
    },
    args,
  );
}

export function payWithIosd(i: { payer: PublicKey; payerIosd: PublicKey }, args: Args<"pay_with_iosd">): Ix {
  return build(
    "pay_with_iosd",
    {
      payer: i.payer,
      config: pda.treasuryConfig(),
      iosd_mint: pda.iosdMint(),
      payer_iosd: i.payerIosd,
      iosd_vault: pda.treasuryIosdVault(),
      pool_vault: pda.buybackPool(),
      token_program: TOKEN_PROGRAM_ID,
    },
    args,
  );
}

export function payWithIo(i: { payer: PublicKey; ioMint: PublicKey; payerIo: PublicKey }, args: Args<"pay_with_io">): Ix {
  return build(
    "pay_with_io",
    {
      payer: i.payer,
      config: pda.treasuryConfig(),
      io_mint: i.ioMint,
      payer_io: i.payerIo,
      io_vault: pda.treasuryIoVault(),
      token_program: TOKEN_PROGRAM_ID,
    },
    args,
  );
}

/** A keeper sells `io_amount` $IO (burned) for `iosd_amount` IOSD from the buyback pool at the oracle price. */
export function buybackAndBurn(
  i: { keeper: PublicKey; ioMint: PublicKey; keeperIo: PublicKey; keeperIosd: PublicKey; priceUpdate: PublicKey },
  args: Args<"buyback_and_burn">,
): Ix {
  return build(
    "buyback_and_burn",
    {
      keeper: i.keeper,
      config: pda.treasuryConfig(),
      io_mint: i.ioMint,
      iosd_mint: pda.iosdMint(),
      keeper_io: i.keeperIo,
      keeper_iosd: i.keeperIosd,
      pool_vault: pda.buybackPool(),
      price_update: i.priceUpdate,
      token_program: TOKEN_PROGRAM_ID,
    },
    args,
  );
}

/** Pays `amount` of `args.asset` from the treasury's vault of that asset to `recipient`. */
export function grant(i: { authority: PublicKey; ioMint: PublicKey; recipient: PublicKey }, args: Args<"grant">): Ix {
  const iosd = "iosd" in (args.asset as object) || "Iosd" in (args.asset as object);
  return build(
    "grant",
    {
      authority: i.authority,
      config: pda.treasuryConfig(),
      mint: iosd ? pda.iosdMint() : i.ioMint,
      vault: iosd ? pda.treasuryIosdVault() : pda.treasuryIoVault(),
      recipient: i.recipient,
      token_program: TOKEN_PROGRAM_ID,
    },
    args,
  );
}
