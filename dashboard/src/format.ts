// Numbers as people read them: base units to whole IO, grouped digits, short keys.

export const UNIT = 1_000_000;

export function io(baseUnits: number): string {
  return `${(baseUnits / UNIT).toLocaleString("en-US", { maximumFractionDigits: 2 })} IO`;
}

export function whole(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function usd(value: number): string {
  return `$${whole(value)}`;
}

export function percent(share: number): string {
  return `${whole(share * 100, 1)}%`;
}

export function short(key: string): string {
  return `${key.slice(0, 4)}…${key.slice(-4)}`;
}

/** A table from a header row and body rows (cells are text: nothing is parsed as HTML). */
export function fillTable(table: HTMLTableElement, header: string[], rows: (string | number)[][]): void {
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const title of header) {
    const th = document.createElement("th");
    th.textContent = title;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const cell of row) tr.insertCell().textContent = String(cell);
  }
}

export function fillList(list: HTMLElement, entries: [string, string][]): void {
  list.replaceChildren();
  for (const [term, value] of entries) {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value;
    dd.dataset.term = term;
    list.append(dt, dd);
  }
}
