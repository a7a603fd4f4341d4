// The network map: a world outline (Natural Earth 110m, shipped with the app through the
// world-atlas package) and each occupied H3 cell as its hexagon, in an equirectangular
// projection. Drawn as SVG, so every hexagon is an element the browser test can count.

import { cellToBoundary, cellToLatLng } from "h3-js";
import { feature } from "topojson-client";
import countries from "world-atlas/countries-110m.json";
import type { CellCount } from "./api";

const WIDTH = 1000;
const HEIGHT = 500;
const SVG = "http://www.w3.org/2000/svg";

function project([lng, lat]: [number, number]): [number, number] {
  return [((lng + 180) / 360) * WIDTH, ((90 - lat) / 180) * HEIGHT];
}

/** One ring as path data; a ring crossing the antimeridian is cut where it jumps. */
function ringPath(ring: [number, number][]): string {
  let d = "";
  let previous: number | null = null;
  let cut = false;
  for (const point of ring) {
    const [x, y] = project(point);
    const jump = previous !== null && Math.abs(point[0] - previous) > 180;
    cut ||= jump;
    d += `${d === "" || jump ? "M" : "L"}${x.toFixed(1)},${y.toFixed(1)}`;
    previous = point[0];
  }
  // Closing a cut ring would draw a line back across the whole map.
  return cut ? d : d + "Z";
}

function outline(svg: SVGSVGElement): void {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const world = feature(countries as any, (countries as any).objects.countries) as any;
  let d = "";
  for (const country of world.features) {
    const geometry = country.geometry;
    if (!geometry) continue;
    const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    for (const polygon of polygons) for (const ring of polygon) d += ringPath(ring);
  }
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", d);
  path.setAttribute("class", "land");
  svg.appendChild(path);
}

/** The view: the cells' bounds with a margin, at the map's 2:1 shape, at least a tenth of
 * the world wide (so a lone cell still shows the land around it); the world without cells. */
function fit(points: [number, number][]): string {
  if (points.length === 0) return `0 0 ${WIDTH} ${HEIGHT}`;
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  let width = Math.max(WIDTH / 10, (maxX - minX) * 1.2, (maxY - minY) * 1.2 * (WIDTH / HEIGHT));
  width = Math.min(width, WIDTH);
  const height = width * (HEIGHT / WIDTH);
  const x = Math.min(Math.max((minX + maxX) / 2 - width / 2, 0), WIDTH - width);
  const y = Math.min(Math.max((minY + maxY) / 2 - height / 2, 0), HEIGHT - height);
  return `${x.toFixed(1)} ${y.toFixed(1)} ${width.toFixed(1)} ${height.toFixed(1)}`;
}

export function drawMap(svg: SVGSVGElement, cells: CellCount[]): void {
  svg.replaceChildren();
  outline(svg);
  const most = Math.max(1, ...cells.map((c) => c.verified));
  const projected: [number, number][] = [];
  for (const cell of cells) {
    // cellToBoundary gives [lat, lng] pairs; the projection takes [lng, lat].
    const ring = cellToBoundary(cell.cell).map(([lat, lng]) => [lng, lat] as [number, number]);
    projected.push(...ring.map(project));
    const hexagon = document.createElementNS(SVG, "path");
    hexagon.setAttribute("d", ringPath(ring));
    hexagon.setAttribute("class", "cell");
    hexagon.setAttribute("fill-opacity", (0.25 + (0.75 * cell.verified) / most).toFixed(2));
    hexagon.dataset.cell = cell.cell;
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${cell.cell}: ${cell.nodes} nodes, ${cell.verified} verified`;
    hexagon.appendChild(title);
    svg.appendChild(hexagon);
  }
  const view = fit(projected);
  svg.dataset.fitted = view;
  // A redraw (the page refreshes the map) keeps a view the reader zoomed or panned to.
  if (svg.dataset.zoomed !== "true") svg.setAttribute("viewBox", view);
  for (const cell of cells) {
    const [x, y] = project(cellCentre(cell.cell));
    const marker = document.createElementNS(SVG, "circle");
    marker.setAttribute("cx", x.toFixed(2));
    marker.setAttribute("cy", y.toFixed(2));
    marker.setAttribute("class", "cell-marker");
    marker.setAttribute("fill-opacity", (0.35 + (0.65 * cell.verified) / most).toFixed(2));
    svg.appendChild(marker);
  }
  sizeMarkers(svg);
  zoomable(svg);
}

/** A cell is a few pixels wide at world scale: a marker at its centre, sized to the view,
 * keeps every occupied cell visible (the hexagons stay the cells' true shapes). */
function sizeMarkers(svg: SVGSVGElement): void {
  const radius = (viewOf(svg)[2] / 250).toFixed(2);
  svg.querySelectorAll("circle.cell-marker").forEach((m) => m.setAttribute("r", radius));
}

function viewOf(svg: SVGSVGElement): [number, number, number, number] {
  const [x, y, w, h] = (svg.getAttribute("viewBox") ?? `0 0 ${WIDTH} ${HEIGHT}`).split(" ").map(Number);
  return [x, y, w, h];
}

function setView(svg: SVGSVGElement, x: number, y: number, width: number): void {
  width = Math.min(Math.max(width, WIDTH / 400), WIDTH);
  const height = width * (HEIGHT / WIDTH);
  x = Math.min(Math.max(x, 0), WIDTH - width);
  y = Math.min(Math.max(y, 0), HEIGHT - height);
  svg.setAttribute("viewBox", `${x.toFixed(2)} ${y.toFixed(2)} ${width.toFixed(2)} ${height.toFixed(2)}`);
  svg.dataset.zoomed = "true";
  sizeMarkers(svg);
}

/** Wheel zooms about the pointer, dragging pans, a double click goes back to the cells. */
function zoomable(svg: SVGSVGElement): void {
  if (svg.dataset.zoomable === "true") return;
  svg.dataset.zoomable = "true";
  // The map point under a client position.
  const at = (clientX: number, clientY: number): [number, number] => {
    const box = svg.getBoundingClientRect();
    const [x, y, w, h] = viewOf(svg);
    return [x + ((clientX - box.left) / box.width) * w, y + ((clientY - box.top) / box.height) * h];
  };
  svg.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      const [px, py] = at(e.clientX, e.clientY);
      const [x, y, w] = viewOf(svg);
      const scale = e.deltaY > 0 ? 1.25 : 0.8;
      setView(svg, px - (px - x) * scale, py - (py - y) * scale, w * scale);
    },
    { passive: false },
  );
  let drag: [number, number] | null = null;
  svg.addEventListener("pointerdown", (e) => {
    drag = at(e.clientX, e.clientY);
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const [px, py] = at(e.clientX, e.clientY);
    const [x, y, w] = viewOf(svg);
    setView(svg, x + drag[0] - px, y + drag[1] - py, w);
  });
  svg.addEventListener("pointerup", () => (drag = null));
  svg.addEventListener("dblclick", () => {
    svg.setAttribute("viewBox", svg.dataset.fitted ?? `0 0 ${WIDTH} ${HEIGHT}`);
    svg.dataset.zoomed = "false";
    sizeMarkers(svg);
  });
}

function cellCentre(cell: string): [number, number] {
  const [lat, lng] = cellToLatLng(cell);
  return [lng, lat];
}
