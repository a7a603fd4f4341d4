// The indexer's HTTP API: the JSON it returns (crates/indexer/src/api/views.rs,
// economy_views.rs, changes.rs, network.rs; the network report of crates/metrics) and a
// small client over the global `fetch`. Keys are base58; amounts in base units (1 IO =
// 10^6). JSON numbers are 64-bit integers on the server: values above 2^53 lose precision.

/** A node's record as the API shows it. */
export interface NodeView {
  tree: string;
  leaf_index: number;
  version: number;
  node_id: string;
  operator: string;
  /** Pending, Verified, Suspended or Retired. */
  status: "Pending" | "Verified" | "Suspended" | "Retired";
  gpu_model: number;
  gpu_model_name: string | null;
  gpu_count: number;
  /** Enterprise, MidMarket or Consumer. */
  tier: "Enterprise" | "MidMarket" | "Consumer";
  /** "major.minor". */
  cuda: string;
  /** The node's H3 cell, hexadecimal. */
  region: string;
  gpu_uuids_hash: string;
  verified_centi_tflops: number;
  rtt_us: number;
  bandwidth_mbps: number;
  packet_loss_bps: number;
  score: number;
  last_attested_epoch: number;
  lease_end_epoch: number;
  registered_at: number;
  deposit_lamports: number;
}

export interface NodePage {
  nodes: NodeView[];
  /** Pass as `after` for the next page; absent (null) on the last one. */
  next: string | null;
}

export interface HistoryEntry {
  seq: number;
  /** Registered, Updated, Retired or Attested. */
  change: string;
  record: NodeView;
}

export interface HistoryView {
  node_id: string;
  events: HistoryEntry[];
}

export interface ProofView {
  tree: string;
  leaf_index: number;
  node_id: string;
  leaf: string;
  root: string;
  /** One sibling per level, the leaf's level first. */
  proof: string[];
  record: NodeView;
}

export interface TreeView {
  tree: string;
  depth: number;
  leaves: number;
  root: string;
}

export interface StatusCounts {
  pending: number;
  verified: number;
  suspended: number;
  retired: number;
}

export interface OperatorView {
  operator: string;
  leaves: number;
  by_status: StatusCounts;
  verified_gpus: number;
}

export interface StatusView {
  cursor: number | null;
  caught_up: boolean;
  trees: number;
  leaves: number;
  by_status: StatusCounts;
}

export interface PlacementView {
  model: string;
  model_id: number;
  /** Best first: lowest RTT, then highest bandwidth, then node id. */
  candidates: NodeView[];
}

export interface ClusterView {
  model: string;
  found: boolean;
  nodes: NodeView[];
  worst_rtt_us: number | null;
}

/** A refusal: `error` names it (e.g. `unknown_model`), `message` explains it. */
export interface ErrorView {
  error: string;
  message: string;
}

export interface ChangeView {
  seq: number;
  within: number;
  change: string;
  node_id: string;
  event: string;
}

export interface ChangesPage {
  items: ChangeView[];
  next: string | null;
  cursor: number | null;
}

export interface StakeView {
  operator: string;
  bonded: number;
  unbonding: number;
  withdrawn: number;
  slashed: number;
  weight: number;
  claimed_rewards: number;
  events: number;
}

export interface SlashView {
  id: number;
  operator: string;
  amount: number;
  reason: string;
  status: string;
  executable_at: number;
  oracles: string[];
  destination: string | null;
  proposed_seq: number;
}

export interface EmissionView {
  seq: number;
  first_epoch: number;
  epochs: number;
  year: number;
  emitted: number;
  minted: number;
  paid: number;
  returned: number;
  reclaimed: number;
  held_back: number;
  total_minted: number;
  breaker_limited: boolean;
}

export interface PaymentView {
  seq: number;
  payer: string;
  asset: string;
  amount: number;
  fee: number;
  rest: number;
  reference: string;
  period: number;
}

export interface BurnView {
  seq: number;
  source: string;
  amount: number;
  by: string;
}

export interface ProposalView {
  id: number;
  proposer: string;
  status: string;
  link: string;
  description_hash: string;
  instructions: number;
  opened_at: number;
  voting_ends_at: number;
  stake_at_open: number;
  yes: number;
  no: number;
  abstain: number;
  votes: number;
  executable_at: number;
  expires_at: number;
  executed_at: number;
}

export interface VoteView {
  seq: number;
  voter: string;
  choice: string;
  weight: number;
}

export interface ProposalDetail {
  proposal: ProposalView;
  votes: VoteView[];
}

export interface Page<T, Next = string> {
  items: T[];
  next: Next | null;
}
export type EmissionsPage = Page<EmissionView>;
export type PaymentsPage = Page<PaymentView>;
export type BurnsPage = Page<BurnView>;
export type ProposalsPage = Page<ProposalView, number>;

// The network report (`/v1/network/metrics`, crates/metrics/src/report.rs).

/** A tier as the metrics write it (kebab-case). */
export type MetricsTier = "enterprise" | "mid-market" | "consumer";

export interface PriceUsed {
  io_usd: number;
  source: string;
  as_of: number | null;
}

export interface HardwareCost {
  model: string;
  tier: MetricsTier;
  hardware_usd: number;
  shipping_usd: number;
  power_watts: number;
}

export interface NetworkParams {
  period_secs: number;
  fee_bps: number;
  min_stake_io: [number, number, number];
  multiplier_bps: [number, number, number];
  spacing_resolution: number;
  electricity_usd_per_kwh: number;
  hardware: { models: HardwareCost[] };
}

export interface Calendar {
  origin_ts: number;
  period_secs: number;
}

export interface PeriodEconomics {
  index: number;
  start_ts: number;
  emitted_io: number;
  minted_io: number;
  burned_io: number;
  net_io: number;
  demand_usd: number;
  emission_usd: number;
  de_ratio: number | null;
}

export interface Trailing {
  annual_demand_usd: number;
  annual_emission_io: number;
  annual_emission_usd: number;
  annual_minted_io: number;
  annual_burned_io: number;
  de_ratio: number | null;
  self_sustaining: boolean;
  break_even_demand_usd: number | null;
  periods: number;
}

export interface TierCount {
  tier: MetricsTier;
  nodes: number;
  active_nodes: number;
  active_gpus: number;
}

export interface Spacing {
  tier: MetricsTier | null;
  coefficient: number | null;
  meets_target: boolean;
}

export interface Concentration {
  largest_operator: string | null;
  largest_share: number;
  herfindahl: number;
  operators: number;
  /** `[operator, share]` of every operator above the cap. */
  above_cap: [string, number][];
}

export interface OperatorShare {
  operator: string;
  nodes: number;
  share: number;
}

export interface CellOccupancy {
  nodes: number;
  cells: number;
}

export interface Decentralization {
  resolution: number;
  spacing: Spacing[];
  concentration: Concentration;
  top_operators: OperatorShare[];
  occupancy: CellOccupancy[];
}

export interface TierEconomics {
  tier: MetricsTier;
  models: string[];
  averaging: "active-gpus" | "catalogue";
  unpriced_models: string[];
  avg_cost_usd: number | null;
  avg_power_watts: number | null;
  daily_yield_io: number | null;
  daily_revenue_usd: number | null;
  daily_power_usd: number | null;
  payback_months: number | null;
  meets_payback_target: boolean;
  attrition_price_usd: number | null;
}

export interface NetworkReport {
  price: PriceUsed;
  params: NetworkParams;
  calendar: Calendar | null;
  periods: PeriodEconomics[];
  trailing: Trailing | null;
  untimed_flows: number;
  tier_mix: [TierCount, TierCount, TierCount];
  decentralization: Decentralization;
  hardware: [TierEconomics, TierEconomics, TierEconomics];
}

export interface CellCount {
  cell: string;
  nodes: number;
  verified: number;
}

export interface CellsView {
  resolution: number;
  cells: CellCount[];
}

export interface NodeFilter {
  operator?: string;
  status?: string;
  tier?: string;
  model?: number;
  cell?: string;
  after?: string;
  limit?: number;
}

export interface PageQuery {
  after?: string;
  limit?: number;
  /** Payments only: one payer's. */
  payer?: string;
}

export interface PlacementQuery {
  model: string;
  min_cuda?: string;
  gpus?: number;
  limit?: number;
}

export interface ClusterQuery {
  model: string;
  min_cuda?: string;
  gpus?: number;
  nodes: number;
  distance: number;
}

/** A response other than 2xx: `error` is the API's refusal name (`http_<status>` if it sent none). */
export class IndexerError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${status} ${error}: ${message}`);
    this.name = "IndexerError";
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

/** A client of the indexer's API at `baseUrl` (e.g. `http://127.0.0.1:8080`). */
export class IndexerClient {
  private readonly base: string;
  constructor(
    baseUrl: string,
    // Called through a closure: a browser's fetch invoked as a method of another object
    // throws "Illegal invocation".
    private readonly fetchFn: typeof fetch = (input, init) => globalThis.fetch(input, init),
  ) {
    this.base = baseUrl.replace(/\/+$/, "");
  }

  /** GETs `path` with `query`, parses the JSON; throws `IndexerError` on a refusal. */
  async get<T>(path: string, query: Query = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) params.set(k, String(v));
    const qs = params.toString();
    const url = `${this.base}${path}${qs ? `?${qs}` : ""}`;
    const response = await this.fetchFn(url, { headers: { accept: "application/json" } });
    const text = await response.text();
    if (!response.ok) {
      let body: Partial<ErrorView> = {};
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text as the message
      }
      throw new IndexerError(response.status, body.error ?? `http_${response.status}`, body.message ?? text, path);
    }
    return JSON.parse(text) as T;
  }

  status = () => this.get<StatusView>("/v1/status");
  nodes = (filter: NodeFilter = {}) => this.get<NodePage>("/v1/nodes", { ...filter });
  node = (nodeId: string) => this.get<NodeView>(`/v1/nodes/${enc(nodeId)}`);
  nodeHistory = (nodeId: string) => this.get<HistoryView>(`/v1/nodes/${enc(nodeId)}/history`);
  nodeProof = (nodeId: string) => this.get<ProofView>(`/v1/nodes/${enc(nodeId)}/proof`);
  trees = () => this.get<TreeView[]>("/v1/trees");
  leafProof = (tree: string, leafIndex: number) => this.get<ProofView>(`/v1/trees/${enc(tree)}/leaves/${leafIndex}/proof`);
  operator = (operator: string) => this.get<OperatorView>(`/v1/operators/${enc(operator)}`);
  changes = (query: { after?: string; limit?: number } = {}) => this.get<ChangesPage>("/v1/changes", { ...query });
  stake = (operator: string) => this.get<StakeView>(`/v1/operators/${enc(operator)}/stake`);
  slashes = (operator: string) => this.get<SlashView[]>(`/v1/operators/${enc(operator)}/slashes`);
  emissions = (query: PageQuery = {}) => this.get<EmissionsPage>("/v1/emissions", { ...query });
  payments = (query: PageQuery = {}) => this.get<PaymentsPage>("/v1/payments", { ...query });
  burns = (query: PageQuery = {}) => this.get<BurnsPage>("/v1/burns", { ...query });
  proposals = (query: { from_id?: number; limit?: number } = {}) => this.get<ProposalsPage>("/v1/proposals", { ...query });
  proposal = (id: number) => this.get<ProposalDetail>(`/v1/proposals/${id}`);
  placement = (query: PlacementQuery) => this.get<PlacementView>("/v1/placement", { ...query });
  cluster = (query: ClusterQuery) => this.get<ClusterView>("/v1/placement/cluster", { ...query });
  /** The network report; `ioUsd` overrides the $IO price it values flows at. */
  networkMetrics = (ioUsd?: number) => this.get<NetworkReport>("/v1/network/metrics", { io_usd: ioUsd });
  networkCells = (resolution?: number) => this.get<CellsView>("/v1/network/cells", { resolution });
}

const enc = encodeURIComponent;
