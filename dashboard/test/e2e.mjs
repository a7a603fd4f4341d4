// The dashboard in a real browser (Debian's Chromium, driven by playwright-core) against a
// running indexer that serves it: every panel shows what the API answers, nothing is
// loaded from anywhere but the indexer, the page logs no error, and a screenshot of each
// panel is written. Usage: node test/e2e.mjs <indexer URL> <screenshot dir>
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const base = process.argv[2] ?? "http://127.0.0.1:8090";
const shots = process.argv[3] ?? "screenshots";
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
mkdirSync(shots, { recursive: true });

let failures = 0;
function check(ok, what, detail = "") {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${ok || !detail ? "" : `\n     ${detail}`}`);
  if (!ok) failures += 1;
}

async function api(path) {
  const response = await fetch(base + path);
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

const [status, cells, report, proposals, burns] = await Promise.all([
  api("/v1/status"),
  api("/v1/network/cells"),
  api("/v1/network/metrics"),
  api("/v1/proposals?limit=100"),
  api("/v1/burns?limit=1000"),
]);

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // Chromium's own background traffic (updates, sync, safe browsing) is refused by a
  // closed network; without these flags it retries many connections at once.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const origin = new URL(base).origin;
const foreign = [];
await page.route("**/*", (route) => {
  const url = route.request().url();
  if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
  foreign.push(url);
  return route.abort();
});
const errors = [];
page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
page.on("pageerror", (e) => errors.push(String(e)));

await page.goto(base + "/", { waitUntil: "load" });
await page.waitForSelector("body[data-loaded=true]", { timeout: 30_000 });
const broken = await page.getAttribute("body", "data-error");
if (broken !== null) console.log(`the page reported: ${broken}`);

// Status line and the status table.
const statusText = await page.textContent("[data-testid=status]");
check((statusText ?? "").includes(`${status.leaves.toLocaleString("en-US")} nodes`), "the status line counts the leaves", statusText);
const verifiedRow = await page.$$eval("#statuses tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
check(JSON.stringify(verifiedRow[0]) === JSON.stringify(["verified", String(status.by_status.verified)]), "verified nodes as /v1/status says", JSON.stringify(verifiedRow));

// The map: the outline and one hexagon per occupied cell.
const hexagons = await page.$$eval("#map path.cell", (paths) => paths.map((p) => p.dataset.cell));
check(hexagons.length === cells.cells.length && cells.cells.length > 0, `the map draws ${cells.cells.length} cells`, `drew ${hexagons.length}`);
check(JSON.stringify([...hexagons].sort()) === JSON.stringify(cells.cells.map((c) => c.cell).sort()), "the hexagons are the API's cells");
check((await page.$$("#map path.land")).length === 1, "the world outline is drawn from the bundled atlas");
check((await page.$$("#map circle.cell-marker")).length === cells.cells.length, "every cell has its marker");
// Zoom: the wheel narrows the view about the pointer, a double click frames the cells again.
const viewWidth = (view) => Number((view ?? "").split(" ")[2]);
const fitted = await page.getAttribute("#map", "viewBox");
const mapBox = await page.locator("#map").boundingBox();
await page.mouse.move(mapBox.x + mapBox.width / 2, mapBox.y + mapBox.height / 2);
await page.mouse.wheel(0, -100);
await page.waitForFunction((before) => document.getElementById("map").getAttribute("viewBox") !== before, fitted, { timeout: 5_000 }).catch(() => {});
const zoomed = await page.getAttribute("#map", "viewBox");
check(Math.abs(viewWidth(zoomed) - 0.8 * viewWidth(fitted)) < 0.1, "the wheel zooms the map in by a fifth", `${fitted} -> ${zoomed}`);
await page.mouse.dblclick(mapBox.x + mapBox.width / 2, mapBox.y + mapBox.height / 2);
check((await page.getAttribute("#map", "viewBox")) === fitted, "a double click frames the cells again");

// Tiers: nodes, verified and GPUs per tier as the report says.
const tierRows = await page.$$eval("#tiers tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
const expectedTiers = report.tier_mix.map((m) => [m.tier, String(m.nodes), String(m.active_nodes), String(m.active_gpus)]);
check(JSON.stringify(tierRows.map((r) => r.slice(0, 4))) === JSON.stringify(expectedTiers), "the tier table is the report's tier mix", JSON.stringify(tierRows));

// Operators: the report's top operators, in order.
const operatorRows = await page.$$eval("#operators tbody tr", (rows) => rows.map((r) => r.cells[1].textContent));
check(JSON.stringify(operatorRows) === JSON.stringify(report.decentralization.top_operators.map((o) => String(o.nodes))), "the operators table is the report's");

// Health: D/E and break-even as the report computes them.
const health = await page.$$eval("#health dd", (dds) => Object.fromEntries(dds.map((d) => [d.dataset.term, d.textContent])));
const de = report.trailing?.de_ratio;
check(de != null && (health["D/E ratio"] ?? "").startsWith(de.toLocaleString("en-US", { maximumFractionDigits: 3, minimumFractionDigits: 3 })), "the D/E ratio is the report's", health["D/E ratio"]);
check(health["break-even demand"] === `$${Math.round(report.trailing?.break_even_demand_usd ?? NaN).toLocaleString("en-US")}`, "break-even demand is the report's", health["break-even demand"]);

// Charts: drawn on their canvases (non-blank pixels).
for (const id of ["emission-chart", "de-chart"]) {
  const inked = await page.$eval(`#${id}`, (canvas) => {
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) count++;
    return count;
  });
  check(inked > 1000, `#${id} is drawn`, `${inked} inked pixels`);
}

// Treasury: the burns table lists the newest burns; proposals with their tallies.
const burnRows = await page.$$eval("#burns tbody tr", (rows) => rows.length);
check(burnRows === Math.min(20, burns.items.length), "the burns table lists the newest burns", `${burnRows} rows`);
const proposalRows = await page.$$eval("#proposals tbody tr", (rows) => rows.map((r) => [r.cells[0].textContent, r.cells[1].textContent]));
check(JSON.stringify(proposalRows) === JSON.stringify(proposals.items.map((p) => [String(p.id), p.status])), "proposals and their status as the API says", JSON.stringify(proposalRows));

// Served with no --wallet-rpc, the wallet panel says the page only reads.
check((await page.textContent("[data-testid=wallet-state]"))?.startsWith("Read-only") === true, "without an RPC endpoint the wallet panel is read-only");

check(foreign.length === 0, "nothing is loaded from outside the indexer", foreign.join(", "));
check(errors.length === 0, "the page logs no error", errors.join(" | "));
check((await page.getAttribute("body", "data-error")) === null, "every panel loaded");

await page.screenshot({ path: `${shots}/dashboard.png`, fullPage: true });
for (const id of ["map-section", "tiers", "emission-chart", "proposals"]) {
  await page.locator(`#${id}`).screenshot({ path: `${shots}/${id}.png` });
}
await browser.close();
console.log(`${failures === 0 ? "dashboard: every check passed" : `dashboard: ${failures} check(s) failed`}; screenshots in ${shots}`);
process.exit(failures === 0 ? 0 : 1);
