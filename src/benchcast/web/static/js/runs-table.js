/**
 * A run's wandb.Table: sortable, filterable, paged, text wrapped; every step it was logged at
 * is a version, and any two can be compared cell by cell ("how did the answers change since
 * step 500?"). A row can carry comments (anchor {table, row}).
 *
 * A table arrives as `table` events of up to 100 rows (offset, total); the pages of one
 * version follow each other in the log. TableVersions folds them; TableCard draws one.
 */

import { icon } from "./icons.js";
import { fmtStep } from "./runs-data.js";
import { el } from "./ui.js";

const PAGE = 25;

/** Every version of one (run, key) table, in log order. */
export class TableVersions {
  constructor(key) {
    this.key = key;
    this.versions = [];
    this.orphans = []; // later pages whose first page has not been read yet
  }

  /** Fold one `table` event; true when it changed what is known. */
  add(ev) {
    const d = ev.data;
    const step = d.step ?? null;
    let v = null;
    if (d.offset === 0) {
      v = this.versions.find((x) => x.seq === ev.seq);
      if (v?.loaded?.has(0)) return false;
      if (!v) {
        v = { seq: ev.seq, step, columns: d.columns, total: d.total, rows: [] };
        this.versions.push(v);
        this.versions.sort((a, b) => a.seq - b.seq);
      }
    } else {
      // A later page belongs to the newest version of its step logged before it.
      v = this.versions.findLast((x) => x.seq < ev.seq && x.step === step) ?? null;
      if (!v || v.loaded?.has(d.offset)) {
        if (!v) this.orphans.push(ev);
        return false;
      }
    }
    v.loaded ??= new Set();
    v.loaded.add(d.offset);
    d.rows.forEach((row, i) => {
      v.rows[d.offset + i] = row;
    });
    if (d.offset === 0 && this.orphans.length) {
      const orphans = this.orphans;
      this.orphans = [];
      for (const o of orphans) this.add(o);
    }
    return true;
  }

  /** A version known only from the keyframe (its rows come with the history). */
  announce(seq, step, columns, total) {
    if (this.versions.some((x) => x.seq === seq)) return;
    this.versions.push({ seq, step, columns, total, rows: [] });
    this.versions.sort((a, b) => a.seq - b.seq);
  }
}

function cellText(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(+v.toPrecision(6));
  return String(v);
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

export class TableCard {
  /**
   * @param {object} opts  {run (a run view: label, color, id), versions (TableVersions),
   *                        commentsFor(key) → comments, comment(anchor)}
   */
  constructor({ run, versions, commentsFor, comment }) {
    this.run = run;
    this.data = versions;
    this.commentsFor = commentsFor;
    this.comment = comment;
    this.current = null; // seq of the version shown; null: follow the newest
    this.against = null; // seq of the version compared with
    this.sort = null; // {col, dir}
    this.filter = "";
    this.page = 0;
    this.stepSel = el("select", { class: "rt-select", "aria-label": "Step" });
    this.cmpSel = el("select", { class: "rt-select", "aria-label": "Compare with step" });
    this.filterIn = el("input", { class: "rt-filter", type: "search", placeholder: "Filter rows", "aria-label": "Filter rows" });
    this.count = el("span", { class: "rt-count" });
    this.table = el("table", { class: "rt" });
    this.pager = el("div", { class: "rt-pager" });
    this.stepSel.addEventListener("change", () => {
      const seq = Number(this.stepSel.value);
      const newest = this.#versions().at(-1);
      this.current = newest && seq === newest.seq ? null : seq;
      this.page = 0;
      this.render();
    });
    this.cmpSel.addEventListener("change", () => {
      this.against = this.cmpSel.value ? Number(this.cmpSel.value) : null;
      this.render();
    });
    this.filterIn.addEventListener("input", () => {
      this.filter = this.filterIn.value.trim().toLowerCase();
      this.page = 0;
      this.render();
    });
    this.filterIn.addEventListener("keydown", (e) => e.stopPropagation());
    this.element = el(
      "div",
      { class: "rtable", "data-table": versions.key, "data-run": run.id },
      el("div", { class: "rt-head" },
        el("span", { class: "rt-title", text: versions.key }),
        el("span", { class: "rt-run" }, el("i", { class: "swatch", style: `background:${run.color}` }), run.label),
        el("label", { class: "rt-field" }, "step ", this.stepSel),
        el("label", { class: "rt-field" }, "compare with ", this.cmpSel),
        this.filterIn,
        this.count),
      el("div", { class: "rt-scroll" }, this.table),
      this.pager,
    );
  }

  #versions() {
    return this.data.versions;
  }

  #shown() {
    const vs = this.#versions();
    return (this.current !== null && vs.find((v) => v.seq === this.current)) || vs.at(-1) || null;
  }

  render() {
    const vs = this.#versions();
    const v = this.#shown();
    const opt = (x) => el("option", { value: String(x.seq), text: x.step === null ? `#${x.seq}` : fmtStep(x.step) });
    this.stepSel.replaceChildren(...vs.slice().reverse().map(opt));
    if (v) this.stepSel.value = String(v.seq);
    this.cmpSel.replaceChildren(el("option", { value: "", text: "—" }),
      ...vs.filter((x) => x !== v).reverse().map(opt));
    const other = this.against !== null ? vs.find((x) => x.seq === this.against && x !== v) : null;
    this.cmpSel.value = other ? String(other.seq) : "";
    this.cmpSel.disabled = vs.length < 2;
    if (!v) {
      this.table.replaceChildren();
      this.count.textContent = "";
      return;
    }
    const cols = v.columns;
    const oldCols = other ? other.columns : null;
    let rows = [];
    for (let i = 0; i < v.rows.length; i += 1) if (v.rows[i]) rows.push({ i, cells: v.rows[i] });
    if (this.filter) {
      rows = rows.filter((r) => r.cells.some((c) => cellText(c).toLowerCase().includes(this.filter)));
    }
    if (this.sort) {
      const { col, dir } = this.sort;
      rows.sort((a, b) => dir * compare(a.cells[col], b.cells[col]) || a.i - b.i);
    }
    const loaded = v.rows.filter(Boolean).length;
    const sent = Math.min(v.total, 10_000);
    this.count.textContent = `${rows.length.toLocaleString("en-US")} of ${v.total.toLocaleString("en-US")} rows`
      + (loaded < sent ? ` (${loaded.toLocaleString("en-US")} loaded)` : "")
      + (v.total > sent ? ` · first ${sent.toLocaleString("en-US")} sent` : "");
    const pages = Math.max(1, Math.ceil(rows.length / PAGE));
    this.page = Math.min(this.page, pages - 1);
    const slice = rows.slice(this.page * PAGE, (this.page + 1) * PAGE);
    const counts = new Map();
    for (const c of this.commentsFor(this.data.key)) counts.set(c.anchor.row, [...(counts.get(c.anchor.row) ?? []), c]);

    const head = el("tr", {}, el("th", { class: "rt-idx", text: "#" }), ...cols.map((name, col) => {
      const dir = this.sort?.col === col ? this.sort.dir : 0;
      const th = el("th", { "aria-sort": dir > 0 ? "ascending" : dir < 0 ? "descending" : "none", title: "Sort" },
        el("button", { type: "button", class: "rt-sort", text: name + (dir > 0 ? " ▲" : dir < 0 ? " ▼" : "") }));
      th.firstChild.addEventListener("click", () => {
        this.sort = !this.sort || this.sort.col !== col ? { col, dir: 1 } : this.sort.dir > 0 ? { col, dir: -1 } : null;
        this.render();
      });
      return th;
    }), el("th", { class: "rt-act" }));
    const body = slice.map(({ i, cells }) => {
      const before = other?.rows[i];
      const tr = el("tr", { "data-row": String(i) }, el("td", { class: "rt-idx", text: String(i) }));
      cells.forEach((c, col) => {
        const td = el("td", {}, el("div", { class: "rt-cell", text: cellText(c) }));
        if (typeof c === "number") td.classList.add("is-num");
        if (before && oldCols) {
          const oc = oldCols.indexOf(cols[col]);
          const was = oc >= 0 ? before[oc] : undefined;
          if (was !== undefined && cellText(was) !== cellText(c)) {
            td.classList.add("is-changed");
            td.append(el("del", { class: "rt-was", text: cellText(was) }));
          }
        }
        tr.append(td);
      });
      const here = counts.get(i) ?? [];
      tr.append(el("td", { class: "rt-act" },
        here.length ? el("span", { class: "rt-comments", title: here.map((c) => `${c.name}: ${c.text}`).join("\n") }, icon("comment"), String(here.length)) : "",
        el("button", { type: "button", class: "rt-comment", title: "Comment on this row", "aria-label": `Comment on row ${i}`,
          onclick: () => this.comment({ table: this.data.key, row: i }) }, icon("comment"))));
      return tr;
    });
    this.table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...body));
    if (!slice.length) {
      this.table.append(el("tbody", {}, el("tr", {}, el("td", { class: "rt-none", colspan: cols.length + 2, text: loaded ? "No row matches." : "Loading…" }))));
    }
    const btn = (label, page, text) => el("button", { type: "button", class: "rt-page", "aria-label": label, disabled: page < 0 || page >= pages, text,
      onclick: () => { this.page = page; this.render(); } });
    this.pager.replaceChildren(
      btn("Previous page", this.page - 1, "‹"),
      el("span", { text: rows.length ? `${this.page * PAGE + 1}–${this.page * PAGE + slice.length} of ${rows.length}` : "0" }),
      btn("Next page", this.page + 1, "›"),
    );
    this.pager.hidden = pages <= 1;
  }
}
