import { test } from "node:test";
import assert from "node:assert/strict";
import * as client from "../src";
import { repoIdl } from "./util";

test("errors by (program, code)", () => {
  const last = repoIdl("emissions").errors!.at(-1)!;
  assert.equal(last.name, "ReserveExceedsCap");
  assert.equal(client.errorName("emissions", last.code), "ReserveExceedsCap");
  assert.equal(client.errorName(client.EMISSIONS_PROGRAM_ID, last.code), "ReserveExceedsCap");
  assert.equal(client.programError(client.EMISSIONS_PROGRAM_ID.toBase58(), last.code)?.message, last.msg);
  assert.equal(client.errorName("registry", 6000), "Unauthorized");
  assert.equal(client.errorCode("emissions", "ReserveExceedsCap"), last.code);
  assert.equal(client.errorName("registry", 5999), null);
});

test("every IDL error is known, under its own program", () => {
  for (const program of client.PROGRAM_NAMES) {
    for (const e of repoIdl(program).errors ?? []) {
      assert.deepEqual(client.programError(program, e.code), { program, code: e.code, name: e.name, message: e.msg ?? e.name });
    }
  }
});

test("Anchor's framework errors", () => {
  assert.equal(client.errorName("staking", 2000), "ConstraintMut");
  assert.equal(client.errorName("staking", 3012), "AccountNotInitialized");
});

test("the error in a failed transaction's logs", () => {
  const id = client.TREASURY_PROGRAM_ID.toBase58();
  const code = repoIdl("treasury").errors![2].code;
  const info = client.errorFromLogs([`Program ${id} invoke [1]`, `Program ${id} failed: custom program error: 0x${code.toString(16)}`]);
  assert.equal(info?.program, "treasury");
  assert.equal(info?.name, repoIdl("treasury").errors![2].name);
});
