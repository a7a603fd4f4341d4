// The fiat gateway's part in the validator check: the gateway key the check's genesis file
// names mints IOSD into the genesis authority's associated IOSD account (created when
// missing), as an enterprise's card payment would. Prints that account's address; the
// check then pays for a cluster with it (`io pay`) and lets the keeper convert the pool.
//
//   node scripts/validator/gateway-mint.mjs <RPC URL> <work dir> <whole IOSD>
// The work dir holds the validator check's keypairs (gateway, authority).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const [rpc, work, whole] = process.argv.slice(2);
if (!whole || !/^[1-9][0-9]*$/.test(whole)) throw new Error("usage: node gateway-mint.mjs <RPC URL> <work dir> <whole IOSD>");
// The client package's build (clients/ts/dist) and its copy of the Solana libraries.
const clientRequire = createRequire(new URL("../../clients/ts/package.json", import.meta.url));
const { BN, web3 } = clientRequire("@coral-xyz/anchor");
const client = clientRequire("./dist/src/index.js");

const keypair = (name) => web3.Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(`${work}/${name}.json`, "utf8"))));
const gateway = keypair("gateway");
const authority = keypair("authority");
const connection = new web3.Connection(rpc, "confirmed");

const iosdMint = client.pda.iosdMint();
const to = client.pda.associatedToken(authority.publicKey, iosdMint);
const amount = new BN(whole).mul(new BN(1_000_000));
await web3.sendAndConfirmTransaction(
  connection,
  new web3.Transaction().add(
    client.token.createAssociatedTokenIdempotent({ payer: gateway.publicKey, owner: authority.publicKey, mint: iosdMint }),
    client.treasury.mintIosd({ gateway: gateway.publicKey, to }, { amount }),
  ),
  [gateway],
);
// Read back by hand: an SPL token account's amount is the u64 at byte 64.
const account = await connection.getAccountInfo(to, "confirmed");
const held = account.data.readBigUInt64LE(64);
if (held !== BigInt(amount.toString())) throw new Error(`the IOSD account holds ${held} base units, not ${amount}`);
console.log(to.toBase58());
