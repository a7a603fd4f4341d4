// The registry's NodeEvent (hand-written Borsh) and Anchor's `Program data:` events, on the
// bytes Rust wrote.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as client from "../src";
import { fixture, normalize, sortKeys } from "./util";

const registry = fixture("registry");

test("a NodeEvent decodes to the Rust values", () => {
  const [f] = registry.node_events!;
  const event = client.decodeNodeEvent(Buffer.from(f.data, "hex"));
  assert.deepEqual(sortKeys(normalize(event)), sortKeys(f.fields));
  assert.equal(client.nodeChange(event), "Attested");
});

test("a NodeEvent's record decodes as Anchor decodes a NodeRecord", () => {
  const [f] = registry.node_events!;
  const event = client.decodeNodeEvent(Buffer.from(f.data, "hex"));
  const data = Buffer.from(f.data, "hex");
  const anchor = client.CODERS.registry.types.decode("NodeRecord", data.subarray(1 + 32));
  assert.deepEqual(sortKeys(normalize(event.record)), sortKeys(normalize(anchor)));
});

test("a noop instruction's data: the tag, then the event", () => {
  const [f] = registry.node_events!;
  assert.equal(Buffer.from(f.tag, "hex").toString(), "ionodev1");
  const tagged = Buffer.concat([client.NODE_EVENT_TAG, Buffer.from(f.data, "hex")]);
  assert.deepEqual(normalize(client.decodeNodeEventInstruction(tagged)), normalize(client.decodeNodeEvent(Buffer.from(f.data, "hex"))));
  assert.equal(client.decodeNodeEventInstruction(Buffer.from(f.data, "hex")), null);
});

test("a truncated or overlong NodeEvent is refused", () => {
  const data = Buffer.from(registry.node_events![0].data, "hex");
  assert.throws(() => client.decodeNodeEvent(data.subarray(0, data.length - 1)), RangeError);
  assert.throws(() => client.decodeNodeEvent(Buffer.concat([data, Buffer.from([0])])), RangeError);
});

test("an Anchor event decodes from its log line", () => {
  const [f] = registry.events!;
  const line = `Program data: ${Buffer.from(f.data, "hex").toString("base64")}`;
  const event = client.decodeEventLog("registry", line);
  assert.equal(event?.name, f.name);
  assert.deepEqual(sortKeys(normalize(event?.data)), sortKeys(f.fields));
  const id = client.REGISTRY_PROGRAM_ID.toBase58();
  const events = client.parseEvents([
    `Program ${id} invoke [1]`,
    "Program log: Instruction: ProposeAuthority",
    line,
    `Program ${id} consumed 5000 of 200000 compute units`,
    `Program ${id} success`,
    line,
  ]);
  assert.equal(events.length, 1);
  assert.equal(events[0].program, "registry");
});
