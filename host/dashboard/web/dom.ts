// Tiny DOM helpers for the dashboard page: element creation and lookups that fail loudly when the page and the code disagree.

type Attrs = Record<string, string | number | boolean | undefined>;

/** Creates an element; text children are set as text (never parsed as HTML: payloads come from the network). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') e.className = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

/** Number formatting for readouts: fixed decimals, and a dash for missing values. */
export const fmt = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

/** Wall-clock milliseconds with sub-ms resolution, on the same clock as the host's received_at_ms (performance.timeOrigin-based). */
export const nowWallMs = (): number => performance.timeOrigin + performance.now();

export interface Cell {
  text: string;
  class?: string;
  field?: string;
}

/**
 * Makes a table body show `rows` (keyed by `key` in data-`keyAttr`), touching only cells whose text or class changed:
 * rebuilding tables at the panel rate costs the browser far more than the data it shows.
 */
export function syncRows(body: HTMLTableSectionElement, keyAttr: string, rows: { key: string; cells: Cell[] }[]): void {
  const existing = new Map<string, HTMLTableRowElement>();
  for (const tr of Array.from(body.rows)) existing.set(tr.getAttribute(`data-${keyAttr}`) ?? '', tr);
  let at = 0;
  for (const r of rows) {
    let tr = existing.get(r.key);
    existing.delete(r.key);
    if (!tr || tr.cells.length !== r.cells.length) {
      tr?.remove();
      tr = el('tr', { [`data-${keyAttr}`]: r.key }, ...r.cells.map((c) => el('td', { ...(c.field ? { 'data-field': c.field } : {}) })));
    }
    r.cells.forEach((c, i) => {
      const td = tr.cells[i]!;
      if (td.textContent !== c.text) td.textContent = c.text;
      const cls = c.class ?? '';
      if (td.className !== cls) td.className = cls;
    });
    if (body.rows[at] !== tr) body.insertBefore(tr, body.rows[at] ?? null);
    at++;
  }
  for (const tr of existing.values()) tr.remove();
}
