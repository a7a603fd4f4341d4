// Wallet flows for operators and DAO members. A Solana wallet that registers itself with
// the page through the wallet standard is wrapped in the wallet-standard adapter; it signs
// what the TypeScript client builds (stake, unstake, withdraw, claim, vote), the adapter
// sends it to the RPC endpoint the indexer names (config.json), and the panel shows the
// position as the indexer has it once the transaction is finalized.

import { BN, web3 } from "@coral-xyz/anchor";
import { isWalletAdapterCompatibleStandardWallet } from "@solana/wallet-adapter-base";
import { StandardWalletAdapter } from "@solana/wallet-standard-wallet-adapter-base";
import { getWallets } from "@wallet-standard/app";
import { decodeOperatorStake, decodeStakingConfig, decodeVoteRecord } from "../../clients/ts/src/accounts";
import { errorFromLogs } from "../../clients/ts/src/errors";
import { castVote } from "../../clients/ts/src/instructions/governance";
import { claimRewards, deposit, requestUnstake, withdraw } from "../../clients/ts/src/instructions/staking";
import { createAssociatedTokenIdempotent } from "../../clients/ts/src/instructions/token";
import * as pda from "../../clients/ts/src/pda";
import { IndexerError, type IndexerClient, type ProposalView } from "./api";
import { fillList, io, UNIT } from "./format";

type Choice = "yes" | "no" | "abstain";

/** "12.5" IO to base units; a named refusal for anything else. */
export function parseIo(text: string): BN {
  const m = /^\s*(\d+)(?:\.(\d{1,6}))?\s*$/.exec(text);
  if (!m) throw new Error(`amount: "${text}" is not an amount of IO (at most 6 decimals)`);
  const units = new BN(m[1]).mul(new BN(UNIT)).add(new BN((m[2] ?? "").padEnd(6, "0")));
  if (units.isZero()) throw new Error("amount: must be more than 0 IO");
  return units;
}

/** Why a transaction failed, named by the program that refused it when it was one. */
function explain(e: unknown): string {
  // The adapter wraps the RPC's error (its `error`); the RPC's carries the logs.
  for (let cause: any = e; cause; cause = cause.error ?? cause.cause) {
    const logs: string[] | undefined = cause.logs ?? cause.transactionLogs;
    const named = logs ? errorFromLogs(logs) : null;
    if (named) return `refused by the ${named.program} program: ${named.name} (${named.message})`;
  }
  return e instanceof Error ? e.message : String(e);
}

export class WalletPanel {
  private adapter: StandardWalletAdapter | null = null;
  private readonly connection: web3.Connection;
  private ioMint: web3.PublicKey | null = null;
  private busy = false;
  /** Called after every landed transaction, so the page's tables refresh. */
  onLanded: () => void = () => {};

  constructor(
    rpcUrl: string,
    private readonly api: IndexerClient,
    private readonly el: (id: string) => HTMLElement,
  ) {
    this.connection = new web3.Connection(rpcUrl, "confirmed");
  }

  get connected(): web3.PublicKey | null {
    return this.adapter?.publicKey ?? null;
  }

  /** Lists the wallets the page can use, now and as they register. */
  start(): void {
    const choice = this.el("wallet-choice") as HTMLSelectElement;
    const adapters = new Map<string, StandardWalletAdapter>();
    const list = () => {
      for (const wallet of getWallets().get()) {
        if (!isWalletAdapterCompatibleStandardWallet(wallet) || adapters.has(wallet.name)) continue;
        adapters.set(wallet.name, new StandardWalletAdapter({ wallet }));
        choice.add(new Option(wallet.name, wallet.name));
      }
      this.state(adapters.size === 0 ? "No Solana wallet found in this browser." : "Choose a wallet and connect.");
    };
    getWallets().on("register", list);
    list();
    this.el("connect").addEventListener("click", () =>
      this.run("connect", async () => {
        const adapter = adapters.get(choice.value);
        if (!adapter) throw new Error("no wallet chosen");
        await adapter.connect();
        this.adapter = adapter;
        this.state(`Connected: ${adapter.publicKey?.toBase58()} (${adapter.name})`);
        this.el("wallet-actions").hidden = false;
        return "connected";
      }),
    );
    const amount = () => parseIo((this.el("amount") as HTMLInputElement).value);
    this.el("stake").addEventListener("click", () => this.run("stake", () => this.stake(amount())));
    this.el("unstake").addEventListener("click", () => this.run("unstake", () => this.unstake(amount())));
    this.el("withdraw").addEventListener("click", () => this.run("withdraw", () => this.withdraw()));
    this.el("claim").addEventListener("click", () => this.run("claim", () => this.claim()));
  }

  /**
   * The connected wallet's part in each proposal in its voting period: its vote when the
   * chain holds one (votes are final), else the vote buttons; null for the others. The
   * vote records are read in one call.
   */
  async voteCells(proposals: ProposalView[]): Promise<(HTMLElement | null)[]> {
    const me = this.connected;
    if (!me) return proposals.map(() => null);
    const voting = proposals.filter((p) => p.status === "Voting");
    const records = await this.connection.getMultipleAccountsInfo(voting.map((p) => pda.voteRecord(pda.proposal(p.id), me)));
    const recordOf = new Map(voting.map((p, i) => [p.id, records[i]]));
    return proposals.map((p) => (p.status === "Voting" ? this.voteCell(p, recordOf.get(p.id) ?? null) : null));
  }

  private voteCell(p: ProposalView, record: web3.AccountInfo<Buffer> | null): HTMLElement {
    const span = document.createElement("span");
    if (record) {
      const vote = decodeVoteRecord(record.data) as unknown as { choice: Record<string, unknown>; weight: BN };
      span.textContent = `voted ${Object.keys(vote.choice)[0].toLowerCase()} (${io(vote.weight.toNumber())})`;
      span.dataset.voted = String(p.id);
      return span;
    }
    for (const choice of ["yes", "no", "abstain"] as Choice[]) {
      const button = document.createElement("button");
      button.textContent = choice;
      button.dataset.vote = `${p.id}:${choice}`;
      button.addEventListener("click", () => this.run(`vote ${choice} on proposal ${p.id}`, () => this.vote(p.id, choice)));
      span.append(button);
    }
    return span;
  }

  /** The position as the indexer has it, and its unbonding entries from the chain. */
  async refresh(): Promise<void> {
    const me = this.connected;
    if (!me) return;
    const { balance, unbonding } = await this.holdings();
    const entries: [string, string][] = [["IO in the wallet", balance === null ? "none (no $IO account)" : io(balance)]];
    try {
      const s = await this.api.stake(me.toBase58());
      entries.push(["bonded", io(s.bonded)], ["unbonding", io(s.unbonding)], ["withdrawn", io(s.withdrawn)], ["reward weight", String(s.weight)], ["rewards claimed", io(s.claimed_rewards)]);
    } catch (e) {
      if (!(e instanceof IndexerError && e.status === 404)) throw e;
      entries.push(["bonded", "nothing yet"]);
    }
    for (const u of unbonding) {
      const when = new Date(u.releaseAt * 1000).toISOString().replace("T", " ").slice(0, 16);
      entries.push([`unbonding entry ${u.entry}`, `${io(u.amount)}, withdrawable from ${when} UTC`]);
    }
    fillList(this.el("position"), entries);
  }

  private async stake(amount: BN): Promise<string> {
    const { me, mint, tokens } = await this.wallet();
    return this.send(`stake of ${io(amount.toNumber())}`, [deposit({ operator: me, ioMint: mint, operatorTokens: tokens }, { amount })]);
  }

  private async unstake(amount: BN): Promise<string> {
    return this.send(`unstake of ${io(amount.toNumber())}`, [requestUnstake({ operator: this.need() }, { amount })]);
  }

  /** Withdraws every released unbonding entry (one instruction each). */
  private async withdraw(): Promise<string> {
    const { me, mint, tokens } = await this.wallet();
    const now = Date.now() / 1000;
    const released = (await this.holdings()).unbonding.filter((u) => u.releaseAt <= now);
    if (released.length === 0) throw new Error("withdraw: no unbonding entry is released yet");
    return this.send(`withdrawal of ${io(released.reduce((a, u) => a + u.amount, 0))}`, [
      createAssociatedTokenIdempotent({ payer: me, owner: me, mint }),
      ...released.map((u) => withdraw({ operator: me, ioMint: mint, operatorTokens: tokens }, { entry: u.entry })),
    ]);
  }

  private async claim(): Promise<string> {
    const { me, mint, tokens } = await this.wallet();
    return this.send("reward claim", [
      createAssociatedTokenIdempotent({ payer: me, owner: me, mint }),
      claimRewards({ operator: me, ioMint: mint, operatorTokens: tokens }),
    ]);
  }

  private async vote(id: number, choice: Choice): Promise<string> {
    // The coder names an enum's variant as the IDL does ("Yes").
    const variant = choice[0].toUpperCase() + choice.slice(1);
    const args = { choice: { [variant]: {} } } as unknown as Parameters<typeof castVote>[1];
    return this.send(`vote ${choice} on proposal ${id}`, [castVote({ voter: this.need(), id }, args)]);
  }

  /** Signs with the wallet, sends, waits for confirmation; throws with the refusal named. */
  private async send(what: string, instructions: web3.TransactionInstruction[]): Promise<string> {
    const adapter = this.adapter!;
    const latest = await this.connection.getLatestBlockhash();
    const tx = new web3.Transaction({ feePayer: this.need(), ...latest }).add(...instructions);
    const signature = await adapter.sendTransaction(tx, this.connection);
    const err = await this.confirmed(what, signature, latest.lastValidBlockHeight);
    if (err) {
      const landed = await this.connection.getTransaction(signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
      throw Object.assign(new Error(`${what} failed: ${JSON.stringify(err)}`), { logs: landed?.meta?.logMessages ?? [] });
    }
    return `${what} landed (${signature}); it shows here once finalized`;
  }

  /**
   * Polls the signature's status until it is confirmed (its error, or null), or throws once
   * its blockhash has expired. Polling over HTTP rather than web3.js's websocket
   * subscription: the page then needs only the one endpoint the indexer names.
   */
  private async confirmed(what: string, signature: string, lastValidBlockHeight: number): Promise<web3.TransactionError | null> {
    for (;;) {
      const [status] = (await this.connection.getSignatureStatuses([signature])).value;
      if (status?.err) return status.err;
      if (status?.confirmationStatus === "confirmed" || status?.confirmationStatus === "finalized") return null;
      if ((await this.connection.getBlockHeight()) > lastValidBlockHeight) throw new Error(`${what}: expired before it landed (${signature})`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** The connected key, the $IO mint and the key's associated $IO account. */
  private async wallet(): Promise<{ me: web3.PublicKey; mint: web3.PublicKey; tokens: web3.PublicKey }> {
    const me = this.need();
    const mint = await this.mint();
    return { me, mint, tokens: pda.associatedToken(me, mint) };
  }

  /**
   * The wallet's $IO balance (null without an account) and its position's unbonding
   * entries, read in one call.
   */
  private async holdings(): Promise<{ balance: number | null; unbonding: { entry: number; amount: number; releaseAt: number }[] }> {
    const { me, tokens } = await this.wallet();
    const [account, position] = await this.connection.getMultipleAccountsInfo([tokens, pda.operatorStake(me)]);
    // An SPL token account is mint (32 bytes), owner (32), then the amount (u64 LE).
    const balance = account ? Number(Buffer.from(account.data).readBigUInt64LE(64)) : null;
    if (!position) return { balance, unbonding: [] };
    const stake = decodeOperatorStake(position.data) as unknown as { unbonding: { amount: BN; release_at: BN }[] };
    const unbonding = stake.unbonding
      .map((u, entry) => ({ entry, amount: u.amount.toNumber(), releaseAt: u.release_at.toNumber() }))
      .filter((u) => u.amount > 0);
    return { balance, unbonding };
  }

  /** The $IO mint, from the staking config on the chain. */
  private async mint(): Promise<web3.PublicKey> {
    if (!this.ioMint) {
      const info = await this.connection.getAccountInfo(pda.stakingConfig());
      if (!info) throw new Error("the cluster has no staking config: is genesis done?");
      this.ioMint = (decodeStakingConfig(info.data) as unknown as { io_mint: web3.PublicKey }).io_mint;
    }
    return this.ioMint;
  }

  private need(): web3.PublicKey {
    const me = this.connected;
    if (!me) throw new Error("connect a wallet first");
    return me;
  }

  private state(text: string): void {
    this.el("wallet-state").textContent = text;
  }

  /** One action at a time; its outcome in #wallet-result (data-state ok or error). */
  private async run(name: string, action: () => Promise<string>): Promise<void> {
    const result = this.el("wallet-result");
    if (this.busy) return;
    this.busy = true;
    result.dataset.state = "pending";
    result.textContent = `${name}: waiting for the wallet and the cluster…`;
    try {
      result.textContent = await action();
      result.dataset.state = "ok";
      this.onLanded();
    } catch (e) {
      result.textContent = `${name}: ${explain(e)}`;
      result.dataset.state = "error";
    } finally {
      this.busy = false;
    }
  }
}
