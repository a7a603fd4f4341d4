// Error names and messages by (program, code): each program's own errors from its IDL, and
// Anchor's framework errors (codes below 6000) from @coral-xyz/anchor.
import { LangErrorCode, LangErrorMessage, web3, type Idl } from "@coral-xyz/anchor";
import { IDLS, type ProgramName } from "./programs";

export interface ProgramErrorInfo {
  program: ProgramName | "anchor";
  code: number;
  name: string;
  message: string;
}

const BY_PROGRAM = new Map<string, Map<number, ProgramErrorInfo>>();
for (const program of Object.keys(IDLS) as ProgramName[]) {
  const idl = IDLS[program] as unknown as Idl;
  BY_PROGRAM.set(
    idl.address,
    new Map((idl.errors ?? []).map((e) => [e.code, { program, code: e.code, name: e.name, message: e.msg ?? e.name }])),
  );
}

const ANCHOR = new Map<number, ProgramErrorInfo>();
for (const [name, code] of Object.entries(LangErrorCode as Record<string, number>)) {
  if (typeof code !== "number") continue;
  ANCHOR.set(code, { program: "anchor", code, name, message: LangErrorMessage.get(code) ?? name });
}

function programId(program: ProgramName | web3.PublicKey | string): string {
  if (program instanceof web3.PublicKey) return program.toBase58();
  return program in IDLS ? (IDLS[program as ProgramName] as unknown as Idl).address : program;
}

/**
 * The error `code` of `program` (its name, its id or its PublicKey): the program's own
 * (6000 and up), else Anchor's framework error of that code; null if neither.
 */
export function programError(program: ProgramName | web3.PublicKey | string, code: number): ProgramErrorInfo | null {
  return BY_PROGRAM.get(programId(program))?.get(code) ?? ANCHOR.get(code) ?? null;
}

/** The error name of `code` in `program`, or null. */
export function errorName(program: ProgramName | web3.PublicKey | string, code: number): string | null {
  return programError(program, code)?.name ?? null;
}

/** The code of error `name` of `program`, or null. */
export function errorCode(program: ProgramName, name: string): number | null {
  for (const info of BY_PROGRAM.get(programId(program))?.values() ?? []) if (info.name === name) return info.code;
  return null;
}

/**
 * The program error in a failed transaction's logs (`Program <id> failed: custom program
 * error: 0x...`), named; null if none.
 */
export function errorFromLogs(logs: readonly string[]): ProgramErrorInfo | null {
  for (const line of logs) {
    const m = /^Program (\w+) failed: custom program error: 0x([0-9a-fA-F]+)$/.exec(line);
    if (m) return programError(m[1], parseInt(m[2], 16));
  }
  return null;
}
