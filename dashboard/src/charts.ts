// The report's periods as charts (Chart.js, bundled): IO minted against burned, and the
// D/E ratio against the 0.60 line.

import { Chart, LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip } from "chart.js";
import type { NetworkReport } from "./api";

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip);

const SELF_SUSTAINING = 0.6;
const charts = new Map<HTMLCanvasElement, Chart>();

function draw(canvas: HTMLCanvasElement, labels: string[], datasets: { label: string; data: (number | null)[]; color: string; dash?: number[] }[]) {
  charts.get(canvas)?.destroy();
  const chart = new Chart(canvas, {
    type: "line",
    data: {
      labels,
      datasets: datasets.map((d) => ({ label: d.label, data: d.data, borderColor: d.color, backgroundColor: d.color, borderDash: d.dash ?? [], pointRadius: d.dash ? 0 : 2 })),
    },
    options: { animation: false, responsive: true, scales: { y: { beginAtZero: true } } },
  });
  charts.set(canvas, chart);
}

export function drawCharts(report: NetworkReport, emission: HTMLCanvasElement, de: HTMLCanvasElement): void {
  const labels = report.periods.map((p) => `#${p.index}`);
  draw(emission, labels, [
    { label: "minted IO", data: report.periods.map((p) => p.minted_io), color: "#1f77b4" },
    { label: "burned IO", data: report.periods.map((p) => p.burned_io), color: "#d62728" },
  ]);
  draw(de, labels, [
    { label: "D/E", data: report.periods.map((p) => p.de_ratio), color: "#2ca02c" },
    { label: "0.60: self-sustaining", data: report.periods.map(() => SELF_SUSTAINING), color: "#444", dash: [6, 4] },
  ]);
}
