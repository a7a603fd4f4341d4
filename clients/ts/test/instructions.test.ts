// Every instruction builder against the Rust SDK's: same inputs, byte-equal data, the same
// account metas (order, signer, writable). Also: every IDL instruction has a builder and a
// fixture, so a new instruction without either fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { web3, type Idl } from "@coral-xyz/anchor";
import * as client from "../src";
import { argsToAnchor, camel, fixture, repoIdl, toAnchor, type InstructionFixture, type MetaJson } from "./util";

type Builder = (inputs: unknown, args: unknown) => web3.TransactionInstruction;
const MODULES: Record<client.ProgramName, Record<string, unknown>> = {
  registry: client.registry,
  staking: client.staking,
  emissions: client.emissions,
  treasury: client.treasury,
  governance: client.governance,
};

/** The fixture instructions of `program`, with their account metas and builder inputs. */
function instructionFixtures(program: client.ProgramName): InstructionFixture[] {
  return fixture(program).instructions;
}

function inputsToClient(idl: Idl, inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => {
      if (v === null || k === "id") return [k, v];
      if (k === "instructions") return [k, (v as unknown[]).map((s) => toAnchor(idl, { defined: { name: "ProposalInstruction" } }, s))];
      if (Array.isArray(v)) return [k, v.map((s) => new web3.PublicKey(s as string))];
      return [k, new web3.PublicKey(v as string)];
    }),
  );
}

const metasJson = (ix: web3.TransactionInstruction): MetaJson[] =>
  ix.keys.map((m) => ({ pubkey: m.pubkey.toBase58(), is_signer: m.isSigner, is_writable: m.isWritable }));

let built = 0;
for (const program of client.PROGRAM_NAMES) {
  const idl = repoIdl(program);
  const fixtures = instructionFixtures(program);

  test(`${program}: the package's IDL is the repository's`, () => {
    assert.deepEqual(JSON.parse(JSON.stringify(client.IDLS[program])), idl);
    assert.equal(client.PROGRAM_IDS[program].toBase58(), idl.address);
    assert.equal(fixture(program).program, idl.address);
  });

  test(`${program}: every instruction of the IDL has a builder and a fixture`, () => {
    const names = idl.instructions.map((i) => i.name);
    for (const name of names) {
      assert.equal(typeof MODULES[program][camel(name)], "function", `${program}.${camel(name)} exists`);
      assert.ok(fixtures.some((f) => f.name === name), `a fixture for ${program}.${name}`);
    }
    const builders = Object.entries(MODULES[program]).filter(([k, v]) => typeof v === "function" && names.map(camel).includes(k));
    assert.equal(builders.length, names.length);
  });

  for (const [n, f] of fixtures.entries()) {
    test(`${program}.${f.name} (#${n}) builds the Rust SDK's instruction`, () => {
      const builder = MODULES[program][camel(f.name)] as Builder;
      const ix = builder(inputsToClient(idl, f.inputs), argsToAnchor(idl, f.name, f.args));
      assert.equal(ix.programId.toBase58(), idl.address);
      assert.equal(Buffer.from(ix.data).toString("hex"), f.data, "data");
      assert.deepEqual(metasJson(ix), f.accounts, "account metas");
      built += 1;
    });
  }
}

test("59 instructions in the five IDLs, all built", { concurrency: false }, () => {
  const total = client.PROGRAM_NAMES.reduce((n, p) => n + repoIdl(p).instructions.length, 0);
  assert.equal(total, 59);
  assert.ok(built >= total, `${built} fixtures built`);
});
