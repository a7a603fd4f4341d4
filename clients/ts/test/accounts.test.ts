// Every fixture account decodes to the values Rust encoded; every IDL account type has a
// fixture-independent decoder that recognises its discriminator.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type Idl } from "@coral-xyz/anchor";
import * as client from "../src";
import { fixture, normalize, repoIdl, sortKeys } from "./util";

for (const program of client.PROGRAM_NAMES) {
  for (const f of fixture(program).accounts) {
    test(`${program} account ${f.name} decodes to the Rust values`, () => {
      const data = Buffer.from(f.data, "hex");
      assert.deepEqual(Array.from(data.subarray(0, 8)), f.discriminator);
      assert.equal(client.accountType(program, data), f.name);
      const decoded = client.decodeAccount(program, f.name as client.AccountName<typeof program>, data);
      assert.deepEqual(sortKeys(normalize(decoded)), sortKeys(f.fields));
    });
  }
  test(`${program}: every account type of the IDL is known`, () => {
    const idl = repoIdl(program) as Idl;
    assert.deepEqual(client.accountNames(program), (idl.accounts ?? []).map((a) => a.name));
  });
}

test("the typed decoders decode their own type", () => {
  const f = fixture("registry").accounts.find((a) => a.name === "RegistryConfig")!;
  const config = client.decodeRegistryConfig(Buffer.from(f.data, "hex"));
  assert.equal(config.authority.toBase58(), f.fields.authority);
  assert.throws(() => client.decodeOperatorStats(Buffer.from(f.data, "hex")));
});

test("fetchAccount decodes what the connection returns, and refuses another owner", async () => {
  const f = fixture("staking").accounts.find((a) => a.name === "OperatorStake")!;
  const data = Buffer.from(f.data, "hex");
  const address = client.pda.operatorStake(client.STAKING_PROGRAM_ID);
  const fake = (owner: unknown) =>
    ({ getAccountInfo: async () => ({ data, owner, lamports: 1, executable: false }) }) as never;
  const stake = await client.fetchAccount(fake(client.STAKING_PROGRAM_ID), "staking", "OperatorStake", address);
  assert.equal(stake?.bonded.toString(), "100");
  await assert.rejects(client.fetchAccount(fake(client.REGISTRY_PROGRAM_ID), "staking", "OperatorStake", address));
  const none = await client.fetchAccount({ getAccountInfo: async () => null } as never, "staking", "OperatorStake", address);
  assert.equal(none, null);
});
