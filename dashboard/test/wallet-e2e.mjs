// The dashboard's wallet flows in a real browser (Debian's Chromium, playwright-core)
// against a real validator: a test wallet (test-wallet.mjs) connects through the wallet
// standard, stakes, votes on a proposal opened after its stake, unstakes part, and asks
// for rewards it does not have. Each landed transaction is read back from the validator by
// hand (account bytes at their offsets, not the client's decoders) and must show in the
// page once the indexer has it finalized.
//
//   node test/wallet-e2e.mjs <indexer URL> <RPC URL> <work dir> <screenshot dir>
// The work dir holds the validator check's keypairs (wallet, authority, deployer), the io
// binary's path (`io`) and the genesis allocation's token account (`genesis-tokens`).
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { createPrivateKey, sign } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { installTestWallet } from "./test-wallet.mjs";

const [base, rpc, work, shots] = process.argv.slice(2);
if (!shots) throw new Error("usage: node test/wallet-e2e.mjs <indexer URL> <RPC URL> <work dir> <screenshot dir>");
mkdirSync(shots, { recursive: true });
// The client package's build (clients/ts/dist) and its copy of the Solana libraries.
const clientRequire = createRequire(new URL("../../clients/ts/package.json", import.meta.url));
const { web3 } = clientRequire("@coral-xyz/anchor");
const client = clientRequire("./dist/src/index.js");

const UNIT = 1_000_000n;
const TIMEOUT = 120_000;
let failures = 0;
function check(ok, what, detail = "") {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${ok || !detail ? "" : `\n     ${detail}`}`);
  if (!ok) failures += 1;
}

const keypair = (name) => web3.Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(`${work}/${name}.json`, "utf8"))));
const wallet = keypair("wallet");
const authority = keypair("authority");
const connection = new web3.Connection(rpc, "confirmed");
const me = wallet.publicKey;

// The wallet's $IO: 10,000 IO from the genesis allocation into its associated account.
const ioMint = new web3.PublicKey(readFileSync(`${work}/io-mint`, "utf8").trim());
const genesisTokens = new web3.PublicKey(readFileSync(`${work}/genesis-tokens`, "utf8").trim());
const walletTokens = client.pda.associatedToken(me, ioMint);
const transfer = new web3.TransactionInstruction({
  programId: client.TOKEN_PROGRAM_ID,
  keys: [
    { pubkey: genesisTokens, isSigner: false, isWritable: true },
    { pubkey: walletTokens, isSigner: false, isWritable: true },
    { pubkey: authority.publicKey, isSigner: true, isWritable: false },
  ],
  // SPL Token `Transfer` (3), amount u64 little-endian.
  data: Buffer.concat([Buffer.from([3]), Buffer.from(new BigUint64Array([10_000n * UNIT]).buffer)]),
});
await web3.sendAndConfirmTransaction(
  connection,
  new web3.Transaction().add(client.token.createAssociatedTokenIdempotent({ payer: authority.publicKey, owner: me, mint: ioMint }), transfer),
  [authority],
);
console.log(`funded ${me.toBase58()} with 10,000 IO`);

// On-chain truth, read by hand: OperatorStake is 8 (discriminator) + 32 (operator), then
// `bonded` u64; VoteRecord is 8 + 32 (proposal) + 32 (voter), then `choice` u8, `weight` u64.
async function accountBytes(address) {
  const info = await connection.getAccountInfo(address, "confirmed");
  return info ? Buffer.from(info.data) : null;
}
const bondedOnChain = async () => (await accountBytes(client.pda.operatorStake(me)))?.readBigUInt64LE(40) ?? 0n;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const allowed = [new URL(base).origin, new URL(rpc).origin];
const foreign = [];
await page.route("**/*", (route) => {
  const url = route.request().url();
  if (allowed.some((o) => url.startsWith(o)) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
  foreign.push(url);
  return route.abort();
});
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));

// The wallet's key stays here: the page asks this process for each signature.
const seed = Buffer.from(wallet.secretKey.subarray(0, 32));
const secret = createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
const signed = [];
await page.exposeFunction("ioTestWalletSign", (message) => {
  const bytes = Buffer.from(message, "base64");
  signed.push(bytes);
  return sign(null, bytes, secret).toString("base64");
});
await page.addInitScript(installTestWallet, { address: me.toBase58(), publicKey: [...me.toBytes()] });

await page.goto(base + "/", { waitUntil: "load" });
await page.waitForSelector("body[data-loaded=true]", { timeout: 30_000 });

const text = (selector) => page.textContent(selector).then((t) => t ?? "");
const term = (name) => page.$eval(`#position dd[data-term="${name}"]`, (d) => d.textContent).catch(() => null);
/** Clicks `button` and waits for the action's outcome in #wallet-result. */
async function act(button) {
  await page.click(button);
  await page.waitForSelector("#wallet-result:not([data-state=pending])", { timeout: TIMEOUT });
  return [await page.getAttribute("#wallet-result", "data-state"), await text("#wallet-result")];
}
/** Waits until `probe` returns `expected` (the indexer follows finalized transactions). */
async function until(what, probe, expected) {
  const deadline = Date.now() + TIMEOUT;
  let seen;
  while (Date.now() < deadline) {
    seen = await probe();
    if (seen === expected) {
      check(true, what);
      return true;
    }
    await page.waitForTimeout(1000);
  }
  check(false, what, `expected ${JSON.stringify(expected)}, last saw ${JSON.stringify(seen)}`);
  return false;
}

// Connect through the wallet standard.
const offered = await page.$$eval("#wallet-choice option", (options) => options.map((o) => o.value));
check(offered.includes("IO Test Wallet"), "the page lists the test wallet (wallet standard)", JSON.stringify(offered));
await page.selectOption("#wallet-choice", "IO Test Wallet");
await page.click("#connect");
await page.waitForSelector("#wallet-actions:not([hidden])", { timeout: 30_000 });
check((await text("#wallet-state")).includes(me.toBase58()), "connected to the test wallet's account");
await until("the page shows the wallet's 10,000 IO", () => term("IO in the wallet"), "10,000 IO");

// A bad amount is refused by name in the page and asks the wallet for nothing.
await page.fill("#amount", "12.3456789");
const [badState, badText] = await act("#stake");
check(badState === "error" && badText.includes("at most 6 decimals") && signed.length === 0, "a bad amount is refused before the wallet signs", badText);

// Stake 5,000 IO.
await page.fill("#amount", "5000");
const [stakeState, stakeText] = await act("#stake");
check(stakeState === "ok" && stakeText.startsWith("stake of 5,000 IO landed"), "the stake lands", stakeText);
check((await bondedOnChain()) === 5_000n * UNIT, "the validator holds a 5,000 IO bond for the wallet");
await until("the page shows the bond from the indexer", () => term("bonded"), "5,000 IO");

// The DAO: the authority (bonded at setup) opens a proposal after the wallet's stake, so
// the wallet's vote weighs its 5,000 IO.
const proposed = execFileSync(`${work}/io`, [
  "dao", "propose", "--url", rpc, "--keypair", `${work}/deployer.json`, "--proposer", `${work}/authority.json`,
  "--description", "Set the protocol fee to 2.5% (wallet flow check)", "--set-fee-bps", "250",
]).toString();
const id = Number(/proposed #(\d+)/.exec(proposed)?.[1]);
check(Number.isInteger(id), `io dao propose opened proposal #${id}`, proposed);
await page.waitForSelector(`button[data-vote="${id}:yes"]`, { timeout: TIMEOUT });
const [voteState, voteText] = await act(`button[data-vote="${id}:yes"]`);
check(voteState === "ok" && voteText.startsWith(`vote yes on proposal ${id} landed`), "the vote lands", voteText);
const proposalKey = client.pda.proposal(id);
const record = await accountBytes(client.pda.voteRecord(proposalKey, me));
check(record !== null && record[72] === 0 && record.readBigUInt64LE(73) === 5_000n * UNIT, "the validator holds a yes vote of 5,000 IO by the wallet");
const row = () => page.$$eval("#proposals tbody tr", (rows, id) => {
  const r = rows.find((r) => r.cells[0].textContent === String(id));
  return r ? `${r.cells[2].textContent} / ${r.cells[5].textContent}` : null;
}, id);
await until("the page's tally shows the vote (yes / votes)", row, "5,000 IO / 1");
const mine = () => page.textContent(`[data-voted="${id}"]`).catch(() => null);
await until("the page shows the wallet's vote in place of the buttons", mine, "voted yes (5,000 IO)");

// Unstake 1,000 IO: unbonding for the staking program's 14 days.
await page.fill("#amount", "1000");
const [unstakeState, unstakeText] = await act("#unstake");
check(unstakeState === "ok" && unstakeText.startsWith("unstake of 1,000 IO landed"), "the unstake lands", unstakeText);
check((await bondedOnChain()) === 4_000n * UNIT, "the validator holds 4,000 IO bonded after it");
await until("the page shows 1,000 IO unbonding", () => term("unbonding"), "1,000 IO");
await until("and 4,000 IO bonded", () => term("bonded"), "4,000 IO");
const [withdrawState, withdrawText] = await act("#withdraw");
check(withdrawState === "error" && withdrawText.includes("no unbonding entry is released yet"), "nothing to withdraw before the release", withdrawText);

// Claim: the wallet's bond earns nothing (no verified GPUs), so the staking program refuses
// by name, and the page says which program refused and why.
const signedBefore = signed.length;
const [claimState, claimText] = await act("#claim");
check(claimState === "error" && claimText.includes("refused by the staking program: NothingToClaim"), "a claim of nothing is refused by the staking program, by name", claimText);
check(signed.length === signedBefore + 1 && signed.length === 4, "the wallet signed the stake, the vote, the unstake and the claim (4)", `${signed.length}`);

check(foreign.length === 0, "nothing is loaded from outside the indexer and the RPC endpoint", foreign.join(", "));
check(errors.length === 0, "the page throws no error", errors.join(" | "));
await page.locator("#wallet-section").screenshot({ path: `${shots}/wallet.png` });
await page.locator("#proposals").screenshot({ path: `${shots}/proposals-voted.png` });
await browser.close();
console.log(`wallet flows: ${failures === 0 ? "every check passed" : `${failures} check(s) failed`}; screenshots in ${shots}`);
process.exit(failures === 0 ? 0 : 1);
