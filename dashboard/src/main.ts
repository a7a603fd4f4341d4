// The dashboard: reads the indexer's API (same origin) and fills the page; proposals'
// tallies are polled so a vote shows within seconds. When the indexer names an RPC
// endpoint (config.json), a wallet can stake, unstake, claim and vote from the page.

import "./polyfill";
import "./style.css";
import { IndexerClient, IndexerError, type NetworkReport } from "./api";
import { drawCharts } from "./charts";
import { fillList, fillTable, io, percent, short, usd, whole } from "./format";
import { drawMap } from "./map";
import { WalletPanel } from "./wallet";

const POLL_MS = 5_000;
const REPORT_POLL_MS = 30_000;
const api = new IndexerClient(window.location.origin);
let wallet: WalletPanel | null = null;

function element<T extends HTMLElement | SVGSVGElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing`);
  return found as T;
}

async function status(): Promise<void> {
  const s = await api.status();
  element("status").textContent =
    `${whole(s.leaves)} nodes in ${s.trees} tree(s), ${whole(s.by_status.verified)} verified; ` +
    `indexed to transaction ${s.cursor ?? "-"}${s.caught_up ? "" : " (catching up)"}`;
  fillTable(element("statuses"), ["status", "nodes"], [
    ["verified", s.by_status.verified],
    ["pending", s.by_status.pending],
    ["suspended", s.by_status.suspended],
    ["retired", s.by_status.retired],
  ]);
}

async function network(): Promise<void> {
  const cells = await api.networkCells();
  drawMap(element<SVGSVGElement>("map"), cells.cells);
  let report: NetworkReport;
  try {
    report = await api.networkMetrics();
  } catch (e) {
    const why = e instanceof IndexerError ? e.message : String(e);
    fillList(element("health"), [["network metrics", `unavailable: ${why}`]]);
    return;
  }
  const t = report.trailing;
  const spacing = report.decentralization.spacing[0]?.coefficient;
  const c = report.decentralization.concentration;
  fillList(element("health"), [
    ["IO price", `$${report.price.io_usd} (${report.price.source})`],
    ["D/E ratio", t?.de_ratio == null ? "-" : `${whole(t.de_ratio, 3)} (${t.self_sustaining ? "self-sustaining" : "below 0.60"})`],
    ["demand a year", t ? usd(t.annual_demand_usd) : "-"],
    ["emission a year", t ? `${whole(t.annual_emission_io)} IO (${usd(t.annual_emission_usd)})` : "-"],
    ["burned a year", t ? `${whole(t.annual_burned_io)} IO` : "-"],
    ["break-even demand", t?.break_even_demand_usd == null ? "-" : usd(t.break_even_demand_usd)],
    ["spacing coefficient", spacing == null ? "-" : `${whole(spacing, 3)} (target 0.85)`],
    ["largest operator", `${percent(c.largest_share)} of verified nodes (Herfindahl ${whole(c.herfindahl, 3)})`],
  ]);
  fillTable(
    element("tiers"),
    ["tier", "nodes", "verified", "GPUs", "IO per GPU a day", "payback", "attrition price"],
    report.tier_mix.map((m, i) => {
      const hw = report.hardware[i];
      return [
        m.tier,
        m.nodes,
        m.active_nodes,
        m.active_gpus,
        hw.daily_yield_io == null ? "-" : whole(hw.daily_yield_io, 3),
        hw.payback_months == null ? "-" : `${whole(hw.payback_months, 1)} months`,
        hw.attrition_price_usd == null ? "-" : `$${whole(hw.attrition_price_usd, 4)}`,
      ];
    }),
  );
  fillTable(
    element("operators"),
    ["operator", "verified nodes", "share"],
    report.decentralization.top_operators.map((o) => [short(o.operator), o.nodes, percent(o.share)]),
  );
  drawCharts(report, element("emission-chart"), element("de-chart"));
}

async function treasury(): Promise<void> {
  const [burns, payments] = await Promise.all([api.burns({ limit: 1000 }), api.payments({ limit: 1000 })]);
  const sum = (items: { amount: number }[]): number => items.reduce((a, b) => a + b.amount, 0);
  const paidIn = (asset: string) => payments.items.filter((p) => p.asset === asset);
  const fees = (asset: string) => paidIn(asset).reduce((a, p) => a + p.fee, 0);
  fillList(element("treasury"), [
    ["paid in IOSD", `${whole(sum(paidIn("Iosd")) / 1e6)} IOSD (treasury fee ${whole(fees("Iosd") / 1e6, 2)})`],
    ["paid in IO", `${io(sum(paidIn("Io")))} (treasury fee ${io(fees("Io"))})`],
    ["IO burned", `${io(sum(burns.items))} in ${burns.items.length} burns`],
  ]);
  fillTable(
    element("burns"),
    ["#", "source", "IO burned", "by"],
    burns.items.slice(-20).reverse().map((b) => [b.seq, b.source, io(b.amount), short(b.by)]),
  );
}

async function proposals(): Promise<void> {
  const page = await api.proposals({ limit: 100 });
  // With a wallet connected, each proposal in its voting period gets the wallet's vote or
  // its vote buttons (read before the table is redrawn, so a redraw is never half done).
  const mine = wallet?.connected ? await wallet.voteCells(page.items) : null;
  fillTable(
    element("proposals"),
    ["id", "status", "yes", "no", "abstain", "votes", "turnout", ...(mine ? ["your vote"] : [])],
    page.items.map((p) => [
      p.id,
      p.status,
      io(p.yes),
      io(p.no),
      io(p.abstain),
      p.votes,
      p.stake_at_open === 0 ? "-" : percent((p.yes + p.no + p.abstain) / p.stake_at_open),
      ...(mine ? [""] : []),
    ]),
  );
  const rows = element<HTMLTableElement>("proposals").tBodies[0].rows;
  mine?.forEach((cell, i) => cell && rows[i].lastElementChild?.append(cell));
}

/** The wallet panel, when the indexer names where wallets send (else the page only reads). */
async function startWallet(): Promise<void> {
  const response = await fetch("./config.json");
  const config: { wallet_rpc?: string | null } = response.ok ? await response.json() : {};
  if (!config.wallet_rpc) {
    element("wallet-state").textContent = "Read-only: this indexer names no RPC endpoint for wallets (io indexer run --wallet-rpc).";
    return;
  }
  wallet = new WalletPanel(config.wallet_rpc, api, element);
  wallet.onLanded = () => {
    void refresh(proposals, "proposals");
    void refresh(() => wallet!.refresh(), "wallet");
  };
  element<HTMLElement>("wallet-controls").hidden = false;
  wallet.start();
}

async function refresh(part: () => Promise<void>, name: string): Promise<void> {
  try {
    await part();
  } catch (e) {
    console.error(`${name}: ${e}`);
    document.body.dataset.error = `${name}: ${e}`;
  }
}

void Promise.all([
  refresh(status, "status"),
  refresh(network, "network"),
  refresh(treasury, "treasury"),
  refresh(proposals, "proposals"),
  refresh(startWallet, "wallet"),
]).then(() => {
  // The browser test waits for this mark before it reads the page.
  document.body.dataset.loaded = "true";
  setInterval(() => void refresh(proposals, "proposals"), POLL_MS);
  setInterval(() => void refresh(status, "status"), POLL_MS);
  setInterval(() => void refresh(async () => wallet?.refresh(), "wallet"), POLL_MS);
  // The map, the health figures, the charts and the treasury follow the indexer too.
  setInterval(() => void refresh(network, "network"), REPORT_POLL_MS);
  setInterval(() => void refresh(treasury, "treasury"), REPORT_POLL_MS);
});
