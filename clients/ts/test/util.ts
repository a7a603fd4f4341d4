// Shared by the tests: the fixtures the Rust SDK writes (tests/fixtures/*.json), and the
// conversions between their JSON values and the values Anchor's coder takes and returns.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { BN, web3, type Idl } from "@coral-xyz/anchor";

export const ROOT = resolve(__dirname, "../../../../");

export interface MetaJson {
  pubkey: string;
  is_signer: boolean;
  is_writable: boolean;
}
export interface InstructionFixture {
  name: string;
  data: string;
  args: Record<string, unknown>;
  accounts: MetaJson[];
  inputs: Record<string, unknown>;
}
export interface AccountFixture {
  name: string;
  discriminator: number[];
  data: string;
  fields: Record<string, unknown>;
}
export interface Fixture {
  program: string;
  idl: string;
  instructions: InstructionFixture[];
  accounts: AccountFixture[];
  node_events?: { tag: string; data: string; fields: Record<string, unknown> }[];
  events?: { name: string; data: string; fields: Record<string, unknown> }[];
}

export function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(resolve(ROOT, "tests/fixtures", `${name}.json`), "utf8"));
}

export function repoIdl(name: string): Idl {
  return JSON.parse(readFileSync(resolve(ROOT, "idl", `${name}.json`), "utf8"));
}

/** As the fixtures write values (and tests/idl-client/check.mjs normalises): keys base58, BN as strings, bytes as arrays, keys of objects lower-cased. */
export function normalize(value: unknown): unknown {
  if (value instanceof web3.PublicKey) return value.toBase58();
  if (BN.isBN(value)) return (value as BN).toString();
  if (value instanceof Uint8Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || value === undefined) return null;
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k.toLowerCase(), normalize(v)]));
  }
  return value;
}

export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

type IdlType = string | { [k: string]: unknown };
interface TypeDef {
  name: string;
  type: { kind: "struct" | "enum"; fields?: { name: string; type: IdlType }[]; variants?: { name: string; fields?: unknown[] }[] };
}

/** A fixture's JSON value of IDL type `type`, as Anchor's coder encodes it. */
export function toAnchor(idl: Idl, type: IdlType, value: unknown): unknown {
  if (typeof type === "string") {
    switch (type) {
      case "u64":
      case "i64":
      case "u128":
      case "i128":
        return new BN(String(value));
      case "pubkey":
        return new web3.PublicKey(value as string);
      case "bytes":
        return Buffer.from(value as number[]);
      default:
        return value;
    }
  }
  if ("option" in type) return value === null ? null : toAnchor(idl, type.option as IdlType, value);
  if ("vec" in type) return (value as unknown[]).map((v) => toAnchor(idl, type.vec as IdlType, v));
  if ("array" in type) return (value as unknown[]).map((v) => toAnchor(idl, (type.array as [IdlType, number])[0], v));
  if ("defined" in type) {
    const name = (type.defined as { name: string }).name;
    const def = (idl.types as unknown as TypeDef[]).find((t) => t.name === name);
    if (!def) throw new Error(`no type ${name}`);
    if (def.type.kind === "struct") {
      const obj = value as Record<string, unknown>;
      return Object.fromEntries((def.type.fields ?? []).map((f) => [f.name, toAnchor(idl, f.type, obj[f.name])]));
    }
    const [key] = Object.keys(value as object);
    const variant = (def.type.variants ?? []).find((v) => v.name.toLowerCase() === key);
    if (!variant) throw new Error(`${name} has no variant ${key}`);
    if (variant.fields?.length) throw new Error(`variant with fields: not needed by the fixtures`);
    return { [variant.name]: {} };
  }
  throw new Error(`type ${JSON.stringify(type)} not handled`);
}

/** A fixture's instruction args as the coder takes them. */
export function argsToAnchor(idl: Idl, name: string, args: Record<string, unknown>): Record<string, unknown> {
  const ix = idl.instructions.find((i) => i.name === name);
  if (!ix) throw new Error(`no instruction ${name}`);
  return Object.fromEntries(ix.args.map((a) => [a.name, toAnchor(idl, a.type as IdlType, args[a.name])]));
}

export function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
