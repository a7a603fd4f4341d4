// Builders for every governance instruction (crates/sdk/src/governance.rs).
import { web3 } from "@coral-xyz/anchor";
import { instruction } from "../build";
import * as pda from "../pda";
import { GOVERNANCE_PROGRAM_ID, SYSTEM_PROGRAM_ID, type Governance, type InstructionArgs, type Types } from "../programs";
import * as emissions from "./emissions";
import * as registry from "./registry";
import * as staking from "./staking";
import * as treasury from "./treasury";

type PublicKey = web3.PublicKey;
type Args<N extends Governance["instructions"][number]["name"]> = InstructionArgs<Governance, N>;
type Ix = web3.TransactionInstruction;
const build = (name: string, keys: Record<string, PublicKey>, args: object, remaining: web3.AccountMeta[] = []) =>
  instruction("governance", name, keys, args, remaining);

/** An instruction as a proposal stores it (the IDL's `ProposalInstruction`). */
export type ProposalInstruction = Types<Governance>["ProposalInstruction"];

export function toProposalInstruction(ix: Ix): ProposalInstruction {
  return {
    program_id: ix.programId,
    accounts: ix.keys.map((m) => ({ pubkey: m.pubkey, is_signer: m.isSigner, is_writable: m.isWritable })),
    data: Buffer.from(ix.data),
  };
}

/** The bootstrap proposal's actions: the DAO accepts the authority of the four other programs. */
export function bootstrapInstructions(): ProposalInstruction[] {
  const dao = pda.dao();
  return [
    registry.acceptAuthority({ newAuthority: dao }),
    staking.acceptAuthority({ newAuthority: dao }),
    emissions.acceptAuthority({ newAuthority: dao }),
    treasury.acceptAuthority({ newAuthority: dao }),
  ].map(toProposalInstruction);
}

/**
 * Opens governance and its bootstrap proposal (id 0). `bootstrap` defaults to
 * `bootstrapInstructions()`, what the Rust SDK sends.
 */
export function initializeGovernance(
  i: { payer: PublicKey; deployer: PublicKey; genesisAuthority: PublicKey },
  args: Omit<Args<"initialize_governance">, "bootstrap"> & { bootstrap?: Args<"initialize_governance">["bootstrap"] },
): Ix {
  return build(
    "initialize_governance",
    {
      payer: i.payer,
      deployer: i.deployer,
      program_data: pda.programData(GOVERNANCE_PROGRAM_ID),
      genesis_authority: i.genesisAuthority,
      registry_config: pda.registryConfig(),
      config: pda.governanceConfig(),
      dao: pda.dao(),
      bootstrap_proposal: pda.proposal(0),
      system_program: SYSTEM_PROGRAM_ID,
    },
    { params: args.params, bootstrap: args.bootstrap ?? bootstrapInstructions() },
  );
}

/** Creates and opens proposal `id` (the config's `proposal_count`) in one instruction. */
export function createProposal(i: { payer: PublicKey; proposer: PublicKey; id: pda.U64 }, args: Args<"create_proposal">): Ix {
  return build(
    "create_proposal",
    {
      payer: i.payer,
      proposer: i.proposer,
      config: pda.governanceConfig(),
      proposer_stake: pda.operatorStake(i.proposer),
      staking_config: pda.stakingConfig(),
      proposal: pda.proposal(i.id),
      system_program: SYSTEM_PROGRAM_ID,
    },
    args,
  );
}

/** Starts proposal `id` as a draft (for proposals too large for one transaction). */
export function draftProposal(i: { payer: PublicKey; proposer: PublicKey; id: pda.U64 }, args: Args<"draft_proposal">): Ix {
  return build(
    "draft_proposal",
    {
      payer: i.payer,
      proposer: i.proposer,
      config: pda.governanceConfig(),
      proposal: pda.proposal(i.id),
      system_program: SYSTEM_PROGRAM_ID,
    },
    args,
  );
}

export function appendToProposal(i: { payer: PublicKey; proposer: PublicKey; id: pda.U64 }, args: Args<"append_to_proposal">): Ix {
  return build(
    "append_to_proposal",
    {
      payer: i.payer,
      proposer: i.proposer,
      config: pda.governanceConfig(),
      proposal: pda.proposal(i.id),
      system_program: SYSTEM_PROGRAM_ID,
    },
    args,
  );
}

export function openProposal(i: { proposer: PublicKey; id: pda.U64 }, args: Args<"open_proposal"> = {}): Ix {
  return build(
    "open_proposal",
    {
      proposer: i.proposer,
      config: pda.governanceConfig(),
      proposer_stake: pda.operatorStake(i.proposer),
      staking_config: pda.stakingConfig(),
      proposal: pda.proposal(i.id),
    },
    args,
  );
}

export function castVote(i: { voter: PublicKey; id: pda.U64 }, args: Args<"cast_vote">): Ix {
  const proposal = pda.proposal(i.id);
  return build(
    "cast_vote",
    {
      voter: i.voter,
      proposal,
      voter_stake: pda.operatorStake(i.voter),
      vote_record: pda.voteRecord(proposal, i.voter),
      system_program: SYSTEM_PROGRAM_ID,
    },
    args,
  );
}

export function closeVoteRecord(i: { voter: PublicKey; id: pda.U64 }, args: Args<"close_vote_record"> = {}): Ix {
  const proposal = pda.proposal(i.id);
  return build("close_vote_record", { voter: i.voter, proposal, vote_record: pda.voteRecord(proposal, i.voter) }, args);
}

export function cancelProposal(i: { proposer: PublicKey; id: pda.U64 }, args: Args<"cancel_proposal"> = {}): Ix {
  return build("cancel_proposal", { proposer: i.proposer, proposal: pda.proposal(i.id) }, args);
}

export function queueProposal(i: { id: pda.U64 }, args: Args<"queue_proposal"> = {}): Ix {
  return build("queue_proposal", { proposal: pda.proposal(i.id) }, args);
}

/**
 * Executes proposal `id`, whose stored actions are `instructions`: every account they name
 * (the DAO aside, writable if any action writes it) and every program they call follow the
 * declared accounts, once each, writable if any action writes it.
 */
export function executeProposal(i: { id: pda.U64; instructions: readonly ProposalInstruction[] }, args: Args<"execute_proposal"> = {}): Ix {
  const dao = pda.dao();
  const ix = build("execute_proposal", { proposal: pda.proposal(i.id), config: pda.governanceConfig(), dao }, args);
  const daoWritable = i.instructions.some((s) => s.accounts.some((a: { pubkey: PublicKey; is_writable: boolean }) => a.pubkey.equals(dao) && a.is_writable));
  for (const meta of ix.keys) if (meta.pubkey.equals(dao)) meta.isWritable ||= daoWritable;
  const extra: web3.AccountMeta[] = [];
  const add = (key: PublicKey, writable: boolean) => {
    if (key.equals(dao)) return;
    const meta = extra.find((m) => m.pubkey.equals(key));
    if (meta) meta.isWritable ||= writable;
    else extra.push({ pubkey: key, isSigner: false, isWritable: writable });
  };
  for (const stored of i.instructions) {
    for (const account of stored.accounts) add(account.pubkey, account.is_writable);
    add(stored.program_id, false);
  }
  ix.keys.push(...extra);
  return ix;
}

/** Changes the DAO's parameters (the DAO signs: it is a proposal's action). */
export function setGovernanceParams(_i: Record<string, never>, args: Args<"set_governance_params">): Ix {
  return build("set_governance_params", { authority: pda.dao(), config: pda.governanceConfig() }, args);
}
