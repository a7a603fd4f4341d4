// Decodes the Rust-encoded fixtures (tests/fixtures/registry.json) with the committed IDL
// and @coral-xyz/anchor, the TypeScript client integrators use, and checks that every
// instruction and account decodes to the values Rust encoded and re-encodes to the same
// bytes. Run: npm ci && node check.mjs (CI does).
import { readFileSync } from "node:fs";
import anchor from "@coral-xyz/anchor";

const { BorshCoder, Program, AnchorProvider, Wallet, web3, BN } = anchor;
const root = new URL("../../", import.meta.url);
const FIXTURES = ["registry", "staking", "emissions", "treasury", "governance"];

// Values as the fixture writes them: keys base58, 64-bit integers as strings, bytes as
// arrays, enum variants lower-cased.
function normalize(value) {
  if (value instanceof web3.PublicKey) return value.toBase58();
  if (BN.isBN(value)) return value.toString();
  if (value instanceof Uint8Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || value === undefined) return null;
  if (typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k.toLowerCase(), normalize(v)]),
    );
  }
  return value;
}

function same(a, b) {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  }
  return v;
}

let failures = 0;
function check(ok, what, detail) {
  if (!ok) {
    failures += 1;
    console.error(`FAIL ${what}\n${detail ?? ""}`);
  } else {
    console.log(`ok   ${what}`);
  }
}

const provider = new AnchorProvider(
  new web3.Connection("http://127.0.0.1:8899"),
  new Wallet(web3.Keypair.generate()),
  {},
);
let total = 0;
for (const name of FIXTURES) {
  const fixtures = JSON.parse(readFileSync(new URL(`tests/fixtures/${name}.json`, root)));
  const idl = JSON.parse(readFileSync(new URL(fixtures.idl, root)));
  total += fixtures.instructions.length + fixtures.accounts.length;
  await checkProgram(idl, fixtures);
}

async function checkProgram(idl, fixtures) {
  // The client refuses an IDL without a valid address: constructing a Program proves it has one.
  const program = new Program(idl, provider);
  check(program.programId.toBase58() === fixtures.program, `${fixtures.idl}: address is the program id`);

  const coder = new BorshCoder(idl);
  for (const fixture of fixtures.instructions) {
    const data = Buffer.from(fixture.data, "hex");
    const decoded = coder.instruction.decode(data);
    check(decoded && decoded.name === fixture.name, `instruction ${fixture.name} is recognised`);
    if (!decoded) continue;
    const got = normalize(decoded.data);
    check(same(got, fixture.args), `instruction ${fixture.name} decodes to the Rust values`,
      `  got      ${JSON.stringify(sortKeys(got))}\n  expected ${JSON.stringify(sortKeys(fixture.args))}`);
    const again = coder.instruction.encode(fixture.name, decoded.data);
    check(Buffer.compare(again, data) === 0, `instruction ${fixture.name} re-encodes to the same bytes`);
  }

  for (const fixture of fixtures.accounts) {
    const data = Buffer.from(fixture.data, "hex");
    const decoded = coder.accounts.decode(fixture.name, data);
    const got = normalize(decoded);
    check(same(got, fixture.fields), `account ${fixture.name} decodes to the Rust values`,
      `  got      ${JSON.stringify(sortKeys(got))}\n  expected ${JSON.stringify(sortKeys(fixture.fields))}`);
    const again = encodeAccount(coder, fixture.name, decoded, data.length);
    check(Buffer.compare(again.subarray(0, data.length), data) === 0, `account ${fixture.name} re-encodes to the same bytes`);
  }
}

console.log(`${total} fixtures, ${failures} failures`);

// The account coder's own `encode` writes into a fixed 1000-byte buffer, and the operator
// aggregates (with their lease ring) and the staking config are larger: encode with the
// same IDL layout into a buffer the size of the account.
function encodeAccount(coder, name, value, size) {
  const layout = coder.accounts.accountLayouts.get(name);
  const discriminator = coder.accounts.accountDiscriminator(name);
  const buffer = Buffer.alloc(Math.max(size, 1000));
  const len = layout.layout.encode(value, buffer);
  return Buffer.concat([discriminator, buffer.subarray(0, len)]);
}
process.exit(failures === 0 ? 0 : 1);
