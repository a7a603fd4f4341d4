// The network map: a world outline (Natural Earth 110m, shipped with the app through the
// world-atlas package) and each occupied H3 cell as its hexagon, in an equirectangular
// projection. Drawn as SVG, so every hexagon is an element the browser test can count.

import { cellToBoundary } from "h3-js";
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
  for (const point of ring) {
    const [x, y] = project(point);
    const jump = previous !== null && Math.abs(point[0] - previous) > 180;
    d += `${d === "" || jump ? "M" : "L"}${x.toFixed(1)},${y.toFixed(1)}`;
    previous = point[0];
  }
  return d + "Z";
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

export function drawMap(svg: SVGSVGElement, cells: CellCount[]): void {
  svg.replaceChildren();
  outline(svg);
  const most = Math.max(1, ...cells.map((c) => c.verified));
  for (const cell of cells) {
    // cellToBoundary gives [lat, lng] pairs; the projection takes [lng, lat].
    const ring = cellToBoundary(cell.cell).map(([lat, lng]) => [lng, lat] as [number, number]);
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
}
