export * from "./programs";
export * as pda from "./pda";
export * from "./instructions";
export * from "./accounts";
export * from "./events";
export * from "./errors";
export * from "./api";
export { accountMetas, instruction } from "./build";
