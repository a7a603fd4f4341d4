export * as registry from "./registry";
export * as staking from "./staking";
export * as emissions from "./emissions";
export * as treasury from "./treasury";
export * as governance from "./governance";
export * as token from "./token";
