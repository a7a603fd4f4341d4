// The Solana and Anchor libraries use node's Buffer as a global; the browser has none.
// Imported first by main.ts, so it is set before any of them runs.
import { Buffer } from "buffer";

(globalThis as { Buffer?: unknown }).Buffer ??= Buffer;
