import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as client from "../src";
import { camel, fixture, ROOT } from "./util";

test("every PDA of crates/sdk/src/pda.rs, under its camelCase name", () => {
  const rust = readFileSync(resolve(ROOT, "crates/sdk/src/pda.rs"), "utf8");
  const names = [...rust.matchAll(/^pub fn (\w+)\(/gm)].map((m) => m[1]);
  assert.ok(names.length >= 20);
  for (const name of names) assert.equal(typeof (client.pda as Record<string, unknown>)[camel(name)], "function", camel(name));
});

test("PDAs match the addresses the Rust SDK derived", () => {
  const staking = fixture("staking").instructions.find((i) => i.name === "initialize_staking")!;
  assert.equal(client.pda.emissionsConfig().toBase58(), staking.args.reward_distributor);
  // initialize_staking: payer, deployer, program_data, config, io_mint, vault, reward_vault, treasury, registry_config
  const keys = staking.accounts.map((a) => a.pubkey);
  assert.equal(keys[2], client.pda.programData(client.STAKING_PROGRAM_ID).toBase58());
  assert.equal(keys[3], client.pda.stakingConfig().toBase58());
  assert.equal(keys[5], client.pda.stakingVault().toBase58());
  assert.equal(keys[6], client.pda.stakingRewardVault().toBase58());
  assert.equal(keys[8], client.pda.registryConfig().toBase58());
});
