// Builders for every staking instruction (crates/sdk/src/staking.rs).
import { web3 } from "@coral-xyz/anchor";
import { instruction } from "../build";
import * as pda from "../pda";
import { STAKING_PROGRAM_ID, SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID, type InstructionArgs, type Staking } from "../programs";

type PublicKey = web3.PublicKey;
type Args<N extends Staking["instructions"][number]["name"]> = InstructionArgs<Staking, N>;
type Ix = web3.TransactionInstruction;
const build = (name: string, keys: Record<string, PublicKey | null | undefined>, args: object, remaining: web3.AccountMeta[] = []) =>
  instruction("staking", name, keys, args, remaining);

/** Opens staking. `deployer` must be the program's upgrade authority. */
export function initializeStaking(
  i: { payer: PublicKey; deployer: PublicKey; ioMint: PublicKey; treasury: PublicKey },
  args: Args<"initialize_staking">,
): Ix {
  return build(
    "initialize_staking",
    {
      payer: i.payer,
      deployer: i.deployer,
      program_data: pda.programData(STAKING_PROGRAM_ID),
      config: pda.stakingConfig(),
      io_mint: i.ioMint,
      vault: pda.stakingVault(),
      reward_vault: pda.stakingRewardVault(),
      treasury: i.treasury,
      registry_config: pda.registryConfig(),
      token_program: TOKEN_PROGRAM_ID,
      system_program: SYSTEM_PROGRAM_ID,
    },
    args,
  );
}

export function proposeAuthority(i: { authority: PublicKey }, args: Args<"propose_authority">): Ix {
  return build("propose_authority", { authority: i.authority, config: pda.stakingConfig() }, args);
}

export function acceptAuthority(i: { newAuthority: PublicKey }, args: Args<"accept_authority"> = {}): Ix {
  return build("accept_authority", { new_authority: i.newAuthority, config: pda.stakingConfig() }, args);
}

/** Changes the parameters; `treasury` (optional) is where treasury-bound slashes go from now on. */
export function setParams(i: { authority: PublicKey; treasury?: PublicKey | null }, args: Args<"set_params">): Ix {
  return build("set_params", { authority: i.authority, config: pda.stakingConfig(), treasury: i.treasury ?? null }, args);
}

export function deposit(i: { operator: PublicKey; ioMint: PublicKey; operatorTokens: PublicKey }, args: Args<"deposit">): Ix {
  return build(
    "deposit",
    {
      operator: i.operator,
      config: pda.stakingConfig(),
      stake: pda.operatorStake(i.operator),
      io_mint: i.ioMint,
      operator_tokens: i.operatorTokens,
      vault: pda.stakingVault(),
      operator_stats: pda.operatorStats(i.operator),
      token_program: TOKEN_PROGRAM_ID,
      system_program: SYSTEM_PROGRAM_ID,
    },
    args,
  );
}

export function requestUnstake(i: { operator: PublicKey }, args: Args<"request_unstake">): Ix {
  return build(
    "request_unstake",
    {
      operator: i.operator,
      config: pda.stakingConfig(),
      stake: pda.operatorStake(i.operator),
      operator_stats: pda.operatorStats(i.operator),
    },
    args,
  );
}

export function withdraw(i: { operator: PublicKey; ioMint: PublicKey; operatorTokens: PublicKey }, args: Args<"withdraw">): Ix {
  return build(
    "withdraw",
    {
      operator: i.operator,
      config: pda.stakingConfig(),
      stake: pda.operatorStake(i.operator),
      io_mint: i.ioMint,
      operator_tokens: i.operatorTokens,
      vault: pda.stakingVault(),
      token_program: TOKEN_PROGRAM_ID,
    },
    args,
  );
}

export function refreshWeight(i: { operator: PublicKey }, args: Args<"refresh_weight"> = {}): Ix {
  return build(
    "refresh_weight",
    { config: pda.stakingConfig(), stake: pda.operatorStake(i.operator), operator_stats: pda.operatorStats(i.operator) },
    args,
  );
}

/**
 * Distributes `amount` of rewards. Only the emissions config PDA (the reward distributor)
 * can sign it, so only the emissions program sends it (by CPI, from `advance_epoch`).
 */
export function distributeRewards(_i: Record<string, never>, args: Args<"distribute_rewards">): Ix {
  return build(
    "distribute_rewards",
    { distributor: pda.emissionsConfig(), config: pda.stakingConfig(), reward_vault: pda.stakingRewardVault() },
    args,
  );
}

export function claimRewards(i: { operator: PublicKey; ioMint: PublicKey; operatorTokens: PublicKey }, args: Args<"claim_rewards"> = {}): Ix {
  return build(
    "claim_rewards",
    {
      operator: i.operator,
      config: pda.stakingConfig(),
      stake: pda.operatorStake(i.operator),
      io_mint: i.ioMint,
      operator_tokens: i.operatorTokens,
      reward_vault: pda.stakingRewardVault(),
      operator_stats: pda.operatorStats(i.operator),
      token_program: TOKEN_PROGRAM_ID,
    },
    args,
  );
}

/**
 * Proposes slashing `args.args.operator` as slash proposal `id` (the config's
 * `next_slash_id`); the `oracles` sign (read-only signers after the declared accounts) and
 * `args.args.oracle_signers` must be their count.
 */
export function proposeSlash(i: { payer: PublicKey; id: pda.U64; oracles: readonly PublicKey[] }, args: Args<"propose_slash">): Ix {
  const operator = args.args.operator;
  return build(
    "propose_slash",
    {
      payer: i.payer,
      config: pda.stakingConfig(),
      stake: pda.operatorStake(operator),
      proposal: pda.slashProposal(i.id),
      registry_config: pda.registryConfig(),
      system_program: SYSTEM_PROGRAM_ID,
    },
    args,
    i.oracles.map((o) => ({ pubkey: o, isSigner: true, isWritable: false })),
  );
}

export function vetoSlash(i: { authority: PublicKey; operator: PublicKey; id: pda.U64 }, args: Args<"veto_slash"> = {}): Ix {
  return build(
    "veto_slash",
    {
      authority: i.authority,
      config: pda.stakingConfig(),
      stake: pda.operatorStake(i.operator),
      proposal: pda.slashProposal(i.id),
    },
    args,
  );
}

export function executeSlash(
  i: { operator: PublicKey; id: pda.U64; ioMint: PublicKey; treasury: PublicKey },
  args: Args<"execute_slash"> = {},
): Ix {
  return build(
    "execute_slash",
    {
      config: pda.stakingConfig(),
      stake: pda.operatorStake(i.operator),
      proposal: pda.slashProposal(i.id),
      vault: pda.stakingVault(),
      io_mint: i.ioMint,
      treasury: i.treasury,
      operator_stats: pda.operatorStats(i.operator),
      token_program: TOKEN_PROGRAM_ID,
    },
    args,
  );
}

export function closeSlashProposal(i: { id: pda.U64; rentPayer: PublicKey }, args: Args<"close_slash_proposal"> = {}): Ix {
  return build("close_slash_proposal", { proposal: pda.slashProposal(i.id), rent_payer: i.rentPayer }, args);
}
