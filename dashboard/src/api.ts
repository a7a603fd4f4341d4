// The indexer's API through the TypeScript client package (clients/ts): its types and its
// client, on the page's own origin (the indexer serves the page and the API together).

export { IndexerClient, IndexerError } from "../../clients/ts/src/api";
export type { CellCount, NetworkReport, ProposalView } from "../../clients/ts/src/api";
