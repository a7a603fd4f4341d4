// Events: the registry's `NodeEvent` (logged through the SPL noop program after an 8-byte
// tag, not in the IDL: decoded here by hand, field by field as the Rust struct is laid out
// in Borsh), and the programs' Anchor events (`Program data:` log lines).
import { BN, web3, type Idl } from "@coral-xyz/anchor";
import { CODERS, IDLS, type ProgramName } from "./programs";

/** The tag before every `NodeEvent` in the noop instruction's data (`NODE_EVENT_TAG`). */
export const NODE_EVENT_TAG = Buffer.from("ionodev1", "utf8");
export const GPU_ID_LEN = 16;

export type NodeChange = "Registered" | "Updated" | "Retired" | "Attested";
const NODE_CHANGES: NodeChange[] = ["Registered", "Updated", "Retired", "Attested"];
const TIERS = ["Enterprise", "MidMarket", "Consumer"] as const;
const STATUSES = ["Pending", "Verified", "Suspended", "Retired"] as const;

/** An enum value the way Anchor's coder writes one: `{ Variant: {} }`. */
export type EnumValue<V extends string> = { [K in V]?: Record<string, never> };

/** A `NodeRecord`, in the shapes Anchor's coder decodes (BN for 64-bit, arrays of bytes). */
export interface NodeRecord {
  version: number;
  node_id: web3.PublicKey;
  operator: web3.PublicKey;
  leaf_index: number;
  gpu_model: number;
  gpu_count: number;
  tier: EnumValue<(typeof TIERS)[number]>;
  cuda: { major: number; minor: number };
  region: BN;
  gpu_uuids_hash: number[];
  status: EnumValue<(typeof STATUSES)[number]>;
  metrics: { verified_centi_tflops: number; rtt_us: number; bandwidth_mbps: number; packet_loss_bps: number };
  last_attested_epoch: BN;
  score: number;
  registered_at: BN;
  deposit_lamports: BN;
  lease_end_epoch: BN;
}

export interface NodeEvent {
  change: EnumValue<NodeChange>;
  tree: web3.PublicKey;
  /** The full new record; its `leaf_index` says where it sits. */
  record: NodeRecord;
  /** Attestation epoch, for `Attested`; 0 otherwise. */
  epoch: BN;
  /** Oracles whose votes made the quorum, for `Attested`. */
  oracles: web3.PublicKey[];
  /** Identities of the GPUs a verification proved (16 bytes each); empty otherwise. */
  gpu_ids: number[][];
}

class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  private take(n: number): Buffer {
    if (this.at + n > this.buf.length) throw new RangeError("NodeEvent: data too short");
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  u8 = () => this.take(1).readUInt8(0);
  u16 = () => this.take(2).readUInt16LE(0);
  u32 = () => this.take(4).readUInt32LE(0);
  u64 = () => new BN(this.take(8), "le");
  i64 = () => new BN(this.take(8), "le").fromTwos(64);
  key = () => new web3.PublicKey(this.take(32));
  bytes = (n: number) => Array.from(this.take(n));
  variant<V extends string>(names: readonly V[]): EnumValue<V> {
    const i = this.u8();
    if (i >= names.length) throw new RangeError(`NodeEvent: bad enum variant ${i}`);
    return { [names[i]]: {} } as EnumValue<V>;
  }
  vec<T>(item: () => T): T[] {
    const n = this.u32();
    return Array.from({ length: n }, item);
  }
  done() {
    if (this.at !== this.buf.length) throw new RangeError(`NodeEvent: ${this.buf.length - this.at} bytes left over`);
  }
}

function readRecord(r: Reader): NodeRecord {
  return {
    version: r.u8(),
    node_id: r.key(),
    operator: r.key(),
    leaf_index: r.u32(),
    gpu_model: r.u16(),
    gpu_count: r.u16(),
    tier: r.variant(TIERS),
    cuda: { major: r.u8(), minor: r.u8() },
    region: r.u64(),
    gpu_uuids_hash: r.bytes(32),
    status: r.variant(STATUSES),
    metrics: { verified_centi_tflops: r.u32(), rtt_us: r.u32(), bandwidth_mbps: r.u32(), packet_loss_bps: r.u16() },
    last_attested_epoch: r.u64(),
    score: r.u16(),
    registered_at: r.i64(),
    deposit_lamports: r.u64(),
    lease_end_epoch: r.u64(),
  };
}

/** Decodes a Borsh `NodeEvent` (without the tag). */
export function decodeNodeEvent(data: Uint8Array): NodeEvent {
  const r = new Reader(Buffer.from(data));
  const event: NodeEvent = {
    change: r.variant(NODE_CHANGES),
    tree: r.key(),
    record: readRecord(r),
    epoch: r.u64(),
    oracles: r.vec(() => r.key()),
    gpu_ids: r.vec(() => r.bytes(GPU_ID_LEN)),
  };
  r.done();
  return event;
}

/** The `NodeEvent` in a noop instruction's data (tag, then the event); null if not tagged. */
export function decodeNodeEventInstruction(data: Uint8Array): NodeEvent | null {
  const buf = Buffer.from(data);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(NODE_EVENT_TAG)) return null;
  return decodeNodeEvent(buf.subarray(8));
}

/** The change a `NodeEvent` records, as a string. */
export function nodeChange(event: NodeEvent): NodeChange {
  return Object.keys(event.change)[0] as NodeChange;
}

export interface AnchorEvent {
  program: ProgramName;
  name: string;
  data: Record<string, unknown>;
}

const PROGRAM_DATA = "Program data: ";

/** Decodes one `Program data: <base64>` log line with `program`'s IDL; null if not its event. */
export function decodeEventLog(program: ProgramName, line: string): AnchorEvent | null {
  const text = line.startsWith(PROGRAM_DATA) ? line.slice(PROGRAM_DATA.length) : line;
  const event = CODERS[program].events.decode(text.trim());
  return event ? { program, name: event.name, data: event.data as Record<string, unknown> } : null;
}

/**
 * The Anchor events in a transaction's logs, each decoded by the program that emitted it
 * (followed through the `Program <id> invoke`/`success` lines).
 */
export function parseEvents(logs: readonly string[]): AnchorEvent[] {
  const byId = new Map<string, ProgramName>(
    (Object.keys(IDLS) as ProgramName[]).map((p) => [(IDLS[p] as unknown as Idl).address, p]),
  );
  const stack: string[] = [];
  const out: AnchorEvent[] = [];
  for (const line of logs) {
    const invoke = /^Program (\w+) invoke \[\d+\]$/.exec(line);
    if (invoke) {
      stack.push(invoke[1]);
      continue;
    }
    if (/^Program \w+ (success|failed)/.test(line)) {
      stack.pop();
      continue;
    }
    if (line.startsWith(PROGRAM_DATA) && stack.length > 0) {
      const program = byId.get(stack[stack.length - 1]);
      if (!program) continue;
      const event = decodeEventLog(program, line);
      if (event) out.push(event);
    }
  }
  return out;
}
