// Builders for every emissions instruction (crates/sdk/src/emissions.rs).
import { web3 } from "@coral-xyz/anchor";
import { instruction } from "../build";
import * as pda from "../pda";
import {
  EMISSIONS_PROGRAM_ID,
  STAKING_PROGRAM_ID,
  SYSTEM_PROGRAM_ID,
  TOKEN_PROGRAM_ID,
  type Emissions,
  type InstructionArgs,
} from "../programs";

type PublicKey = web3.PublicKey;
type Args<N extends Emissions["instructions"][number]["name"]> = InstructionArgs<Emissions, N>;
type Ix = web3.TransactionInstruction;
const build = (name: string, keys: Record<string, PublicKey>, args: object) => instruction("emissions", name, keys, args);

/** Opens emissions; `mintAuthority` (the $IO mint's current authority) signs it over. */
export function initializeEmissions(
  i: { payer: PublicKey; deployer: PublicKey; mintAuthority: PublicKey; ioMint: PublicKey },
  args: Args<"initialize_emissions">,
): Ix {
  return build(
    "initialize_emissions",
    {
      payer: i.payer,
      deployer: i.deployer,
      program_data: pda.programData(EMISSIONS_PROGRAM_ID),
      mint_authority: i.mintAuthority,
      config: pda.emissionsConfig(),
      io_mint: i.ioMint,
      staking_config: pda.stakingConfig(),
      token_program: TOKEN_PROGRAM_ID,
      system_program: SYSTEM_PROGRAM_ID,
    },
    args,
  );
}

export function proposeAuthority(i: { authority: PublicKey }, args: Args<"propose_authority">): Ix {
  return build("propose_authority", { authority: i.authority, config: pda.emissionsConfig() }, args);
}

export function acceptAuthority(i: { newAuthority: PublicKey }, args: Args<"accept_authority"> = {}): Ix {
  return build("accept_authority", { new_authority: i.newAuthority, config: pda.emissionsConfig() }, args);
}

export function setEmissionParams(i: { authority: PublicKey }, args: Args<"set_emission_params">): Ix {
  return build("set_emission_params", { authority: i.authority, config: pda.emissionsConfig() }, args);
}

export function extendReserve(i: { authority: PublicKey }, args: Args<"extend_reserve">): Ix {
  return build("extend_reserve", { authority: i.authority, config: pda.emissionsConfig() }, args);
}

/** The permissionless crank: mints the epochs due into staking's reward vault. */
export function advanceEpoch(i: { ioMint: PublicKey }, args: Args<"advance_epoch"> = {}): Ix {
  return build(
    "advance_epoch",
    {
      config: pda.emissionsConfig(),
      io_mint: i.ioMint,
      staking_config: pda.stakingConfig(),
      reward_vault: pda.stakingRewardVault(),
      staking_program: STAKING_PROGRAM_ID,
      token_program: TOKEN_PROGRAM_ID,
    },
    args,
  );
}
