/**
 * The runs panel: a stream's experiments as a view in the player.
 *
 *   - a chart per metric (runs-chart.js), grouped into sections by the part of the name
 *     before "/", every run overlaid in its colour, growing live; smoothing, log scale, zoom;
 *   - runs of the channel's earlier streams overlaid for comparison ("today vs yesterday"),
 *     dashed, picked from the Compare menu;
 *   - each run's status, config and summary side by side;
 *   - the machine (sysinfo.js), figures with their history (a slider through the steps they
 *     were logged at), histograms, and tables (runs-table.js);
 *   - the audience's comments anchored to a point ({run, metric, step}) or a table row, drawn
 *     where they belong; clicking a point opens the reports composer with that anchor.
 *
 * Like every panel it folds only what the player gives it. Points are not in the keyframe
 * (docs/experiments.md): on reset(state) the panel knows the runs and reads each run's metric,
 * figure and table events up to the keyframe from the API (filtered by kind and source), while
 * the player's later events extend them; live events that arrive before a run's history has
 * loaded wait for it, so points are always added in log order.
 */

import * as api from "./api.js";
import { icon } from "./icons.js";
import { MetricChart } from "./runs-chart.js";
import { Series, Smoother, fmtStep, fmtValue, metricValue } from "./runs-data.js";
import { TableCard, TableVersions } from "./runs-table.js";
import { SysInfo } from "./sysinfo.js";
import { blobImage, el } from "./ui.js";

const COLORS = ["#6cb6ff", "#ff9f5a", "#7ee2a8", "#f778ba", "#c39bff", "#ffd666", "#4dd0e1",
  "#ff6b6b", "#a5d66f", "#e0a3ff", "#78a6ff", "#ffb38a"];
/** Milliseconds between two redraws of the charts (live metrics arrive every ~0.1 s). */
const CHART_EVERY = 200;
const HISTORY_KINDS = "metric,figure,table,histogram";
/** Events per history request: a metric event holds up to 1,000 rows, so pages stay a few MB. */
const HISTORY_PAGE = 100;
const STATUS = {
  running: "running",
  finished: "finished",
  failed: "failed",
  crashed: "crashed",
  killed: "killed",
};

function sectionOf(metric) {
  const i = metric.indexOf("/");
  return i > 0 ? [metric.slice(0, i), metric.slice(i + 1)] : ["", metric];
}

function when(epochSeconds) {
  const d = new Date(epochSeconds * 1000);
  const today = new Date();
  const time = d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  if (d.toDateString() === today.toDateString()) return `today ${time}`;
  const y = new Date(today);
  y.setDate(today.getDate() - 1);
  if (d.toDateString() === y.toDateString()) return `yesterday ${time}`;
  return `${d.toLocaleDateString("en-GB", { day: "numeric", month: "short" })} ${time}`;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Nested config {"optim": {"lr": 1}} as rows "optim.lr". */
function flatten(obj, prefix = "", out = new Map()) {
  for (const [k, v] of Object.entries(obj ?? {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length) flatten(v, key, out);
    else out.set(key, v);
  }
  return out;
}

function plain(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return fmtValue(v);
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/** One run as the panel keeps it: its fold entry, its points, its media versions. */
class RunView {
  constructor(id, { key = id, foreign = false, stream = null, color, source }) {
    this.id = id;
    this.key = key;
    this.foreign = foreign;
    this.stream = stream; // the earlier stream's summary, for a foreign run
    this.color = color;
    this.dash = foreign ? [6, 4] : null;
    this.source = source ?? `run:${id}`;
    this.info = { run: id, name: id, status: "running", config: {}, summary: {}, tags: [], metrics: {}, media: {} };
    this.series = new Map();
    this.smoothers = new Map();
    this.pending = null;
    this.loading = false;
    this.buffer = [];
    this.shown = true;
    this.figures = new Map(); // key → [{seq, step, images: [...]}]
    this.hists = new Map(); // key → [{seq, step, bins, counts}]
    this.tables = new Map(); // key → TableVersions
  }

  get label() {
    const name = this.info.name || this.id;
    return this.foreign && this.stream ? `${name} · ${when(this.stream.started_at)}` : name;
  }

  /** Committed rows; returns the metrics they touched. */
  addRows(rows, touched) {
    for (const row of rows) {
      for (const [name, value] of Object.entries(row.values)) {
        let s = this.series.get(name);
        if (!s) this.series.set(name, (s = new Series()));
        s.push(row.step, value);
        touched.add(name);
      }
    }
  }

  pendingStep(metric) {
    const p = this.pending;
    if (!p || !(metric in p.values)) return null;
    const s = this.series.get(metric);
    return s && s.n && s.lastStep >= p.step ? null : p.step;
  }

  pendingValue(metric) {
    return this.pendingStep(metric) === null ? null : metricValue(this.pending.values[metric]);
  }

  smoothed(metric, weight) {
    let sm = this.smoothers.get(metric);
    if (!sm) this.smoothers.set(metric, (sm = new Smoother()));
    return sm.of(this.series.get(metric), weight);
  }

  /**
   * A figure event: a new version of its key, or (index > 0) a further image of the version
   * logged just before it at the same step. Versions stay in log order whatever order they
   * arrive in (the keyframe's newest first, then the history, then live).
   */
  addFigure(ev) {
    const d = ev.data;
    const list = this.figures.get(d.key) ?? [];
    this.figures.set(d.key, list);
    const image = { index: d.index ?? 0, blob: d.blob, mime: d.mime, caption: d.caption ?? "", width: d.width, height: d.height };
    const step = d.step ?? null;
    if (image.index > 0) {
      const head = list.findLast((v) => v.seq < ev.seq && v.step === step);
      if (head) head.images[image.index] = image;
      return;
    }
    if (list.some((v) => v.seq === ev.seq)) return;
    list.push({ seq: ev.seq, step, images: [image] });
    if (list.length > 1 && list.at(-2).seq > ev.seq) list.sort((a, b) => a.seq - b.seq);
  }

  addHistogram(ev) {
    const d = ev.data;
    const list = this.hists.get(d.key) ?? [];
    this.hists.set(d.key, list);
    if (list.some((v) => v.seq === ev.seq)) return;
    list.push({ seq: ev.seq, step: d.step ?? null, bins: d.bins, counts: d.counts });
    if (list.length > 1 && list.at(-2).seq > ev.seq) list.sort((a, b) => a.seq - b.seq);
  }

  addTable(ev) {
    let t = this.tables.get(ev.data.key);
    if (!t) this.tables.set(ev.data.key, (t = new TableVersions(ev.data.key)));
    return t.add(ev);
  }
}

/** A slider through the versions of a figure or histogram; follows the newest until moved. */
class VersionCard {
  constructor({ kind, key, run, onComment }) {
    this.kind = kind;
    this.key = key;
    this.run = run;
    this.at = null; // seq shown; null: the newest
    this.body = el("div", { class: "rfig-body" });
    this.slider = el("input", { type: "range", class: "rfig-slider", min: 0, max: 0, value: 0, step: 1, "aria-label": `${key}: version` });
    this.stepLabel = el("span", { class: "rfig-step" });
    this.count = el("span", { class: "rfig-count" });
    const nav = (dir, text, label) => el("button", { type: "button", class: "rfig-nav", text, "aria-label": label, onclick: () => this.#move(dir) });
    this.slider.addEventListener("input", () => this.#pick(Number(this.slider.value)));
    this.slider.addEventListener("keydown", (e) => e.stopPropagation());
    this.element = el(
      "figure",
      { class: `rfig kind-${kind}`, "data-figure": key, "data-run": run.id },
      el("figcaption", { class: "rfig-head" },
        el("span", { class: "rfig-title", title: key, text: key }),
        el("span", { class: "rt-run" }, el("i", { class: "swatch", style: `background:${run.color}` }), run.label),
        el("button", { type: "button", class: "rfig-comment", title: "Comment on this figure", "aria-label": `Comment on ${key}`, onclick: () => onComment({ figure: key }) }, icon("comment"))),
      this.body,
      el("div", { class: "rfig-foot" }, nav(-1, "‹", "Older"), this.slider, nav(1, "›", "Newer"), this.stepLabel, this.count),
    );
  }

  #list() {
    return (this.kind === "figure" ? this.run.figures : this.run.hists).get(this.key) ?? [];
  }

  #index(list) {
    if (this.at === null) return list.length - 1;
    const i = list.findIndex((v) => v.seq === this.at);
    return i < 0 ? list.length - 1 : i;
  }

  #pick(i) {
    const list = this.#list();
    this.at = i >= list.length - 1 ? null : list[i]?.seq ?? null;
    this.render();
  }

  #move(dir) {
    const list = this.#list();
    this.#pick(Math.max(0, Math.min(list.length - 1, this.#index(list) + dir)));
  }

  render() {
    const list = this.#list();
    const i = this.#index(list);
    const v = list[i];
    this.slider.max = String(Math.max(0, list.length - 1));
    this.slider.value = String(Math.max(0, i));
    this.slider.disabled = list.length < 2;
    this.count.textContent = list.length ? `${i + 1} / ${list.length}` : "";
    this.stepLabel.textContent = v ? (v.step === null ? "" : `step ${fmtStep(v.step)}`) : "";
    this.element.dataset.step = v?.step ?? "";
    if (!v) {
      this.body.replaceChildren(el("div", { class: "rfig-none", text: "Loading…" }));
      return;
    }
    if (this.body.dataset.seq === String(v.seq)) return;
    this.body.dataset.seq = String(v.seq);
    if (this.kind === "figure") {
      this.body.replaceChildren(...v.images.filter(Boolean).map((im) => el("div", { class: "rfig-img" },
        blobImage(im.blob, im.caption || this.key, im.width, im.height),
        im.caption ? el("span", { class: "rfig-caption", text: im.caption }) : "")));
    } else {
      this.body.replaceChildren(histogram(v, this.run.color));
    }
  }
}

/** A histogram's bars on a small canvas, with its range under it. */
function histogram(v, color) {
  const W = 360;
  const H = 140;
  const canvas = el("canvas", { class: "rhist", width: W * 2, height: H * 2, style: `width:100%;aspect-ratio:${W}/${H}` });
  const ctx = canvas.getContext("2d");
  const max = Math.max(...v.counts, 1);
  const n = v.counts.length;
  ctx.fillStyle = color;
  ctx.globalAlpha = 0.85;
  for (let i = 0; i < n; i += 1) {
    const h = (v.counts[i] / max) * (H * 2 - 8);
    const x = (i / n) * W * 2;
    ctx.fillRect(x, H * 2 - h, Math.max(1, (W * 2) / n - 1), h);
  }
  return el("div", { class: "rhist-box" }, canvas,
    el("div", { class: "rhist-range" }, el("span", { text: fmtValue(v.bins[0]) }), el("span", { text: fmtValue(v.bins.at(-1)) })));
}

export class RunsPanel {
  /**
   * @param {{layout, player, stream}} opts  stream: the page's stream summary (id, channel)
   */
  constructor({ layout, player, stream }) {
    this.layout = layout;
    this.player = player;
    this.streamId = stream.id;
    this.channel = stream.channel;
    this.syncKey = `runs-${stream.id}`;
    this.options = { smoothing: 0, log: false };
    this.zoom = null;
    this.selected = null;
    this.filter = "";
    this.runs = new Map(); // key → RunView (this stream's runs, then earlier streams')
    this.metrics = new Map(); // name → {section, chart}
    this.sections = new Map(); // name → {element, grid, collapsed}
    this.comments = new Map();
    this.colors = new Map();
    this.ended = false;
    this.added = false;
    this.gen = 0;
    this.frame = 0;
    this.timer = 0;
    this.lastCharts = 0;
    this.need = new Set();
    this.figureCards = new Map();
    this.tableCards = new Map();
    this.sys = new SysInfo();
    this.#build();
    layout.addEventListener("viewchange", (e) => {
      if (e.detail === "runs") {
        layout.flag("runs", false);
        for (const m of this.metrics.values()) m.chart.dirty = true;
        this.need.add("all");
        this.#schedule();
      }
    });
  }

  // ── building ────────────────────────────────────────────────────────────────────────────

  #build() {
    this.legend = el("div", { class: "runs-legend", role: "list", "aria-label": "Runs" });
    this.smoothIn = el("input", { type: "range", min: 0, max: 0.99, step: 0.01, value: 0, "aria-label": "Smoothing" });
    this.smoothOut = el("output", { class: "runs-smooth-val", text: "0" });
    this.smoothIn.addEventListener("input", () => {
      this.options.smoothing = Number(this.smoothIn.value);
      this.smoothOut.textContent = this.options.smoothing.toFixed(2).replace(/\.?0+$/, "") || "0";
      this.#allCharts();
    });
    this.logIn = el("input", { type: "checkbox", "aria-label": "Log scale" });
    this.logIn.addEventListener("change", () => {
      this.options.log = this.logIn.checked;
      this.#allCharts();
    });
    this.zoomBtn = el("button", { type: "button", class: "rbtn", hidden: true, text: "Reset zoom", onclick: () => this.setZoom(null) });
    this.compareBtn = el("button", { type: "button", class: "rbtn", "aria-haspopup": "true", "aria-expanded": "false", text: "Compare…", onclick: () => this.#toggleCompare() });
    this.compareMenu = el("div", { class: "runs-compare", hidden: true, role: "dialog", "aria-label": "Runs of earlier streams" });
    this.filterIn = el("input", { type: "search", class: "runs-filter", placeholder: "Filter charts", "aria-label": "Filter charts" });
    this.filterIn.addEventListener("input", () => {
      this.filter = this.filterIn.value.trim().toLowerCase();
      this.#applyFilter();
    });
    for (const input of [this.filterIn, this.smoothIn]) input.addEventListener("keydown", (e) => e.stopPropagation());
    const tools = el("div", { class: "runs-tools" },
      this.filterIn,
      el("label", { class: "runs-opt", title: "Exponential moving average; the raw line stays faint behind" }, "Smoothing", this.smoothIn, this.smoothOut),
      el("label", { class: "runs-opt runs-check" }, this.logIn, "Log y"),
      this.zoomBtn,
      el("div", { class: "runs-compare-wrap" }, this.compareBtn, this.compareMenu));
    this.notice = el("div", { class: "runs-notice", hidden: true, role: "status" });
    this.chartsEl = el("div", { class: "runs-sections" });
    this.mediaEl = el("section", { class: "rsec rsec-media", hidden: true },
      el("h3", { class: "rsec-head" }, el("span", { text: "Media" })), el("div", { class: "rfig-grid" }));
    this.tablesEl = el("section", { class: "rsec rsec-tables", hidden: true },
      el("h3", { class: "rsec-head" }, el("span", { text: "Tables" })), el("div", { class: "rt-list" }));
    this.overviewEl = el("section", { class: "rsec rsec-overview", hidden: true },
      el("h3", { class: "rsec-head" }, el("span", { text: "Runs" })), el("div", { class: "rover-scroll" }));
    this.empty = el("p", { class: "runs-empty", text: "No metrics logged yet." });
    this.scroller = el("div", { class: "runs-scroll" }, this.empty, this.chartsEl, this.mediaEl, this.tablesEl, this.overviewEl);
    this.element = el("section", { class: "runs", "aria-label": "Runs" },
      el("header", { class: "runs-bar" }, this.legend, tools),
      this.sys.element,
      this.notice,
      this.scroller);
    this.observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const m = this.metrics.get(e.target.dataset.metric);
        if (!m) continue;
        m.chart.visible = e.isIntersecting;
        if (e.isIntersecting && m.chart.dirty) this.#schedule();
      }
    }, { root: this.scroller, rootMargin: "200px" });
    let width = 0;
    new ResizeObserver(() => {
      if (this.scroller.clientWidth === width) return;
      width = this.scroller.clientWidth;
      for (const m of this.metrics.values()) m.chart.dirty = true;
      this.#schedule();
    }).observe(this.scroller);
    document.addEventListener("click", (e) => {
      if (!this.compareMenu.hidden && !e.target.closest?.(".runs-compare-wrap")) this.#toggleCompare(false);
    });
  }

  #ensureView() {
    if (this.added) return;
    this.added = true;
    this.layout.addView({ id: "runs", title: "Runs", element: this.element });
  }

  get canComment() {
    return !!this.player.stream.live;
  }

  // ── the player's side ───────────────────────────────────────────────────────────────────

  reset(state) {
    this.gen += 1;
    const gen = this.gen;
    for (const [key, r] of this.runs) if (!r.foreign) this.runs.delete(key);
    this.ended = !!state?.ended;
    this.sys.reset(state?.sys ?? null);
    this.comments.clear();
    for (const c of state?.audience?.comments ?? []) this.#addComment(c);
    const upto = state?.seq ?? 0;
    const load = [];
    for (const [id, info] of Object.entries(state?.runs ?? {})) {
      const r = this.#newRun(id, info.source);
      r.info = { ...info };
      r.pending = info.pending ?? null;
      for (const name of Object.keys(info.metrics ?? {})) this.#metric(name);
      for (const [key, m] of Object.entries(info.media ?? {})) {
        if (m.kind === "figure") r.addFigure({ seq: m.seq, data: { key, step: m.step, blob: m.blob, mime: m.mime, caption: m.caption, width: m.width, height: m.height } });
        else if (m.kind === "table") {
          if (!r.tables.has(key)) r.tables.set(key, new TableVersions(key));
          r.tables.get(key).announce(m.seq, m.step ?? null, m.columns ?? [], m.total ?? 0);
        }
      }
      if (info.first_seq <= upto) {
        r.loading = true;
        load.push(r);
      }
    }
    if (this.runs.size || this.sys.readings.size) this.#ensureView();
    for (const r of load) this.#history(r, upto, gen);
    this.need.add("all");
    for (const m of this.metrics.values()) m.chart.dirty = true;
    this.#schedule();
  }

  apply(ev) {
    const d = ev.data;
    switch (ev.kind) {
      case "run.start": {
        const r = this.#run(d.run, ev);
        Object.assign(r.info, { name: d.name || d.run, project: d.project ?? "", group: d.group ?? "", tags: d.tags ?? [],
          notes: d.notes ?? "", config: { ...(d.config ?? {}) }, status: "running", exit_code: null, started: ev.t, ended: null });
        this.need.add("legend").add("overview");
        this.layout.flag("runs");
        break;
      }
      case "run.update": {
        const r = this.#run(d.run, ev);
        if (d.config) Object.assign(r.info.config, d.config);
        for (const [k, v] of Object.entries(d.summary ?? {})) {
          if (v === null) delete r.info.summary[k];
          else r.info.summary[k] = v;
        }
        this.need.add("overview");
        break;
      }
      case "run.end": {
        const r = this.#run(d.run, ev);
        Object.assign(r.info.summary, d.summary ?? {});
        Object.assign(r.info, { status: d.status ?? "finished", exit_code: d.exit_code ?? null, ended: ev.t });
        r.pending = null;
        this.need.add("legend").add("overview");
        for (const name of r.series.keys()) this.#dirty(name);
        break;
      }
      case "metric": {
        const r = this.#run(d.run, ev);
        if (r.loading) r.buffer.push(d.rows);
        else this.#rows(r, d.rows);
        const before = r.pending;
        r.pending = d.pending ?? null;
        for (const p of [before, r.pending]) {
          for (const name of Object.keys(p?.values ?? {})) {
            this.#metric(name);
            this.#dirty(name);
          }
        }
        if (d.rows.length) r.info.step = d.rows.at(-1).step;
        this.need.add("overview");
        break;
      }
      case "figure":
      case "histogram":
      case "table": {
        const r = this.#run(d.run, ev);
        if (ev.kind === "figure") r.addFigure(ev);
        else if (ev.kind === "histogram") r.addHistogram(ev);
        else r.addTable(ev);
        this.need.add(ev.kind === "table" ? "tables" : "media");
        break;
      }
      case "sdk.dropped":
        if (d.run) {
          const r = this.#run(d.run, ev);
          r.info.dropped = Math.max(r.info.dropped ?? 0, d.count);
          this.need.add("overview");
        }
        break;
      case "sys":
        this.#ensureView();
        this.sys.apply(ev);
        break;
      case "comment":
        if (!d.hidden && this.#addComment({ ...d, seq: ev.seq, t: ev.t })) this.#commentsChanged(d.anchor);
        break;
      case "chat.delete": {
        const c = this.comments.get(d.id);
        if (c && this.comments.delete(d.id)) this.#commentsChanged(c.anchor);
        break;
      }
      case "stream.end":
        this.ended = true;
        this.need.add("legend").add("overview");
        break;
      default:
        return;
    }
    this.#schedule();
  }

  // ── runs and their points ───────────────────────────────────────────────────────────────

  #color(key) {
    let c = this.colors.get(key);
    if (!c) this.colors.set(key, (c = COLORS[this.colors.size % COLORS.length]));
    return c;
  }

  #newRun(id, source) {
    const r = new RunView(id, { color: this.#color(id), source });
    // This stream's runs come first: re-insert the earlier streams' after them.
    const foreign = [...this.runs].filter(([, x]) => x.foreign);
    for (const [k] of foreign) this.runs.delete(k);
    this.runs.set(id, r);
    for (const [k, x] of foreign) this.runs.set(k, x);
    this.need.add("legend").add("overview");
    return r;
  }

  /** This stream's run `id`, made on first sight (a run seen only through its metrics). */
  #run(id, ev) {
    const r = this.runs.get(id);
    if (r) return r;
    this.#ensureView();
    const made = this.#newRun(id, ev.source);
    made.info.started = ev.t;
    made.info.first_seq = ev.seq;
    return made;
  }

  #rows(r, rows) {
    const touched = new Set();
    r.addRows(rows, touched);
    for (const name of touched) {
      this.#metric(name);
      this.#dirty(name);
    }
  }

  /** Read a run's metric, figure and table events up to `upto` from the archive. */
  async #history(r, upto, gen) {
    try {
      for await (const events of api.pages(this.streamId, { since: (r.info.first_seq ?? 1) - 1, until: upto, kind: HISTORY_KINDS, source: r.source, limit: HISTORY_PAGE })) {
        if (gen !== this.gen) return;
        const touched = new Set();
        for (const ev of events) {
          if (ev.kind === "metric") r.addRows(ev.data.rows, touched);
          else if (ev.kind === "figure") r.addFigure(ev);
          else if (ev.kind === "histogram") r.addHistogram(ev);
          else if (ev.kind === "table") r.addTable(ev);
        }
        for (const name of touched) {
          this.#metric(name);
          this.#dirty(name);
        }
        this.need.add("media").add("tables");
        this.#schedule();
      }
    } catch (err) {
      if (gen === this.gen) this.#say(`Could not load the history of run ${r.label}: ${err.message}`);
    }
    if (gen !== this.gen) return;
    r.loading = false;
    for (const rows of r.buffer) this.#rows(r, rows);
    r.buffer = [];
    this.need.add("media").add("tables");
    this.#schedule();
  }

  #metric(name) {
    let m = this.metrics.get(name);
    if (m) return m;
    const [section, title] = sectionOf(name);
    let sec = this.sections.get(section);
    if (!sec) {
      const grid = el("div", { class: "rgrid" });
      const head = el("button", { type: "button", class: "rsec-head rsec-toggle", "aria-expanded": "true" },
        el("span", { class: "rsec-caret", "aria-hidden": "true", text: "▾" }),
        el("span", { text: section || "Charts" }),
        el("span", { class: "rsec-count" }));
      const element = el("section", { class: "rsec", "data-section": section }, head, grid);
      sec = { element, grid, head, count: 0 };
      head.addEventListener("click", () => {
        const open = element.classList.toggle("is-collapsed");
        head.setAttribute("aria-expanded", String(!open));
        if (!open) this.#allCharts();
      });
      this.sections.set(section, sec);
      this.chartsEl.append(element);
    }
    const chart = new MetricChart(this, name, title);
    m = { section, chart };
    this.metrics.set(name, m);
    sec.grid.append(chart.element);
    sec.count += 1;
    sec.head.querySelector(".rsec-count").textContent = String(sec.count);
    this.observer.observe(chart.element);
    this.#filterOne(name, m);
    this.empty.hidden = true;
    return m;
  }

  #dirty(name) {
    const m = name && this.metrics.get(name);
    if (m) m.chart.dirty = true;
  }

  #allCharts() {
    for (const m of this.metrics.values()) m.chart.dirty = true;
    this.#schedule();
  }

  #filterOne(name, m) {
    const hide = !!this.filter && !name.toLowerCase().includes(this.filter);
    m.chart.element.hidden = hide;
  }

  #applyFilter() {
    for (const [name, m] of this.metrics) this.#filterOne(name, m);
    for (const sec of this.sections.values()) {
      sec.element.hidden = ![...sec.grid.children].some((c) => !c.hidden);
    }
    this.#allCharts();
  }

  // ── what the charts ask ─────────────────────────────────────────────────────────────────

  shownRuns() {
    return [...this.runs.values()].filter((r) => r.shown);
  }

  setZoom(range) {
    if (range && !(range[1] > range[0])) return;
    this.zoom = range;
    this.zoomBtn.hidden = !range;
    this.#allCharts();
  }

  commentsFor(metric) {
    return [...this.comments.values()].filter((c) => c.anchor?.metric === metric && c.anchor.run !== undefined);
  }

  #tableComments(key) {
    return [...this.comments.values()].filter((c) => c.anchor?.table === key);
  }

  /** A point was clicked: mark it and open the reports composer anchored to it. */
  pick(anchor) {
    this.selected = anchor;
    this.#dirty(anchor.metric);
    this.#schedule();
    this.#comment(anchor);
  }

  #comment(anchor) {
    if (!this.canComment) {
      this.#say("Comments can be written while the stream is live.");
      return;
    }
    document.dispatchEvent(new CustomEvent("benchcast:report", { detail: { anchor, kind: "question" } }));
  }

  #addComment(c) {
    const a = c.anchor;
    if (!a || (a.metric === undefined && a.table === undefined) || c.hidden) return false;
    this.comments.set(c.id, c);
    return true;
  }

  #commentsChanged(anchor) {
    if (anchor?.metric) {
      this.#dirty(anchor.metric);
      if (this.selected && this.selected.metric === anchor.metric && this.selected.step === anchor.step) this.selected = null;
    }
    if (anchor?.table !== undefined) this.need.add("tables");
  }

  #say(text) {
    this.notice.textContent = text;
    this.notice.hidden = false;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      this.notice.hidden = true;
    }, 6000);
  }

  // ── drawing ─────────────────────────────────────────────────────────────────────────────

  #schedule() {
    if (this.frame || this.timer) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.#render();
    });
  }

  #render() {
    if (!this.added || this.element.hidden) return; // drawn when the view is shown
    const all = this.need.has("all");
    if (all || this.need.has("legend")) this.#legend();
    if (all || this.need.has("overview")) this.#overview();
    if (all || this.need.has("media")) this.#media();
    if (all || this.need.has("tables")) this.#tables();
    this.need.clear();
    const now = performance.now();
    const wait = this.lastCharts + CHART_EVERY - now;
    if (wait > 0) {
      // Charts were drawn a moment ago: draw again once the interval is up.
      this.timer = setTimeout(() => {
        this.timer = 0;
        this.#schedule();
      }, wait);
      return;
    }
    this.lastCharts = now;
    for (const m of this.metrics.values()) {
      if (m.chart.dirty && m.chart.visible && !m.chart.element.hidden && !this.sections.get(m.section).element.classList.contains("is-collapsed")) {
        m.chart.update();
      }
    }
  }

  #status(r) {
    const s = r.info.status ?? "running";
    if (s === "running" && (r.foreign ? !r.stream?.live : this.ended)) return { cls: "unknown", text: "no end reported" };
    return { cls: s, text: STATUS[s] ?? s };
  }

  #legend() {
    const chips = [];
    for (const r of this.runs.values()) {
      const st = this.#status(r);
      const chip = el("div", { class: `rchip${r.shown ? "" : " is-off"}${r.foreign ? " is-foreign" : ""}`, role: "listitem", "data-run": r.key },
        el("button", { type: "button", class: "rchip-toggle", "aria-pressed": String(r.shown), title: r.shown ? "Hide this run" : "Show this run",
          onclick: () => {
            r.shown = !r.shown;
            this.need.add("legend");
            this.#allCharts();
          } },
          el("i", { class: `swatch${r.foreign ? " is-dashed" : ""}`, style: `--c:${r.color}` }),
          el("span", { class: "rchip-name", text: r.label })),
        el("span", { class: `rstatus st-${st.cls}`, "data-status": st.cls, text: st.text }));
      if (r.foreign) {
        chip.append(el("button", { type: "button", class: "rchip-x", title: "Remove from the charts", "aria-label": `Remove ${r.label}`, text: "×",
          onclick: () => {
            this.runs.delete(r.key);
            this.need.add("legend").add("overview");
            this.#allCharts();
          } }));
      }
      chips.push(chip);
    }
    this.legend.replaceChildren(...chips);
  }

  #overview() {
    const runs = [...this.runs.values()];
    this.overviewEl.hidden = !runs.length;
    if (!runs.length) return;
    const config = new Map();
    const summary = new Map();
    const flat = runs.map((r) => ({ config: flatten(r.info.config), summary: flatten(r.info.summary) }));
    for (const f of flat) {
      for (const k of f.config.keys()) config.set(k, true);
      for (const k of f.summary.keys()) summary.set(k, true);
    }
    const row = (label, cells, { differ = false, cls = "" } = {}) => el("tr", { class: `${cls}${differ ? " is-diff" : ""}` },
      el("th", { scope: "row", text: label, title: label }), ...cells.map((c) => el("td", {}, c)));
    const differs = (values) => new Set(values.map((v) => JSON.stringify(v ?? null))).size > 1;
    const head = el("tr", {}, el("th", {}), ...runs.map((r) => el("th", { scope: "col" },
      el("span", { class: "rt-run" }, el("i", { class: `swatch${r.foreign ? " is-dashed" : ""}`, style: `--c:${r.color}` }), r.label))));
    const rows = [
      row("status", runs.map((r) => {
        const st = this.#status(r);
        const text = st.text + (r.info.exit_code !== null && r.info.exit_code !== undefined ? ` (exit ${r.info.exit_code})` : "");
        return el("span", { class: `rstatus st-${st.cls}`, text });
      })),
      row("project", runs.map((r) => r.info.project || "–")),
      row("steps", runs.map((r) => (r.info.step === null || r.info.step === undefined ? "–" : fmtStep(r.info.step)))),
      row("duration", runs.map((r) => {
        const end = r.info.ended ?? (r.foreign ? null : this.player.t);
        return duration(end !== null && r.info.started !== undefined ? end - r.info.started : null);
      })),
    ];
    if (runs.some((r) => r.info.dropped)) rows.push(row("dropped", runs.map((r) => String(r.info.dropped ?? 0)), { cls: "is-warn" }));
    if (config.size) rows.push(el("tr", { class: "rover-group" }, el("th", { colspan: runs.length + 1, text: "Config" })));
    for (const k of config.keys()) {
      const vals = flat.map((f) => f.config.get(k));
      rows.push(row(k, vals.map(plain), { differ: runs.length > 1 && differs(vals) }));
    }
    if (summary.size) rows.push(el("tr", { class: "rover-group" }, el("th", { colspan: runs.length + 1, text: "Summary" })));
    for (const k of summary.keys()) {
      const vals = flat.map((f) => f.summary.get(k));
      rows.push(row(k, vals.map(plain)));
    }
    this.overviewEl.querySelector(".rover-scroll").replaceChildren(
      el("table", { class: "rover" }, el("thead", {}, head), el("tbody", {}, ...rows)));
  }

  #media() {
    const grid = this.mediaEl.querySelector(".rfig-grid");
    const want = new Set();
    for (const r of this.runs.values()) {
      if (r.foreign) continue;
      for (const [kind, map] of [["figure", r.figures], ["histogram", r.hists]]) {
        for (const key of map.keys()) {
          const id = `${kind}\u0000${r.id}\u0000${key}`;
          want.add(id);
          let card = this.figureCards.get(id);
          if (!card) {
            card = new VersionCard({ kind, key, run: r, onComment: (a) => this.#comment(a) });
            this.figureCards.set(id, card);
            grid.append(card.element);
          }
          card.run = r;
          card.render();
        }
      }
    }
    for (const [id, card] of this.figureCards) {
      if (!want.has(id)) {
        card.element.remove();
        this.figureCards.delete(id);
      }
    }
    this.mediaEl.hidden = !want.size;
    if (want.size) this.empty.hidden = true;
  }

  #tables() {
    const list = this.tablesEl.querySelector(".rt-list");
    const want = new Set();
    for (const r of this.runs.values()) {
      if (r.foreign) continue;
      for (const [key, versions] of r.tables) {
        const id = `${r.id}\u0000${key}`;
        want.add(id);
        let card = this.tableCards.get(id);
        if (!card || card.data !== versions) {
          card?.element.remove();
          card = new TableCard({ run: r, versions, commentsFor: (k) => this.#tableComments(k), comment: (a) => this.#comment(a) });
          this.tableCards.set(id, card);
          list.append(card.element);
        }
        card.render();
      }
    }
    for (const [id, card] of this.tableCards) {
      if (!want.has(id)) {
        card.element.remove();
        this.tableCards.delete(id);
      }
    }
    this.tablesEl.hidden = !want.size;
    if (want.size) this.empty.hidden = true;
  }

  // ── runs of earlier streams ─────────────────────────────────────────────────────────────

  #toggleCompare(open = this.compareMenu.hidden) {
    this.compareMenu.hidden = !open;
    this.compareBtn.setAttribute("aria-expanded", String(open));
    if (open) this.#loadCompare();
  }

  async #loadCompare() {
    const menu = this.compareMenu;
    menu.replaceChildren(el("p", { class: "rc-note", text: "Loading this channel's earlier streams…" }));
    try {
      const res = await fetch(`/api/streams?channel=${encodeURIComponent(this.channel)}&limit=20`, { headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      const streams = (await res.json()).streams.filter((s) => s.id !== this.streamId).slice(0, 10);
      const groups = await Promise.all(streams.map(async (s) => {
        const events = await api.page(s.id, 0, { kind: "run.", limit: 1000 });
        const runs = new Map();
        for (const ev of events) {
          const d = ev.data;
          const info = runs.get(d.run) ?? { run: d.run, name: d.run, status: "running", config: {}, summary: {}, source: ev.source };
          if (ev.kind === "run.start") Object.assign(info, { name: d.name || d.run, project: d.project, tags: d.tags, config: d.config ?? {}, started: ev.t, first_seq: ev.seq });
          else if (ev.kind === "run.update") {
            Object.assign(info.config, d.config ?? {});
            Object.assign(info.summary, d.summary ?? {});
          } else if (ev.kind === "run.end") Object.assign(info, { status: d.status, exit_code: d.exit_code, ended: ev.t, summary: { ...info.summary, ...d.summary } });
          runs.set(d.run, info);
        }
        return { stream: s, runs: [...runs.values()] };
      }));
      const items = groups.filter((g) => g.runs.length).map(({ stream, runs }) => el("div", { class: "rc-stream" },
        el("div", { class: "rc-stream-head" },
          el("span", { class: "rc-title", text: stream.title || "Untitled stream" }),
          el("span", { class: "rc-when", text: when(stream.started_at) })),
        ...runs.map((info) => {
          const key = `${stream.id}/${info.run}`;
          const on = this.runs.has(key);
          return el("button", { type: "button", class: `rc-run${on ? " is-on" : ""}`, "data-stream": stream.id, "data-run": info.run, "aria-pressed": String(on),
            onclick: () => {
              if (this.runs.has(key)) this.runs.delete(key);
              else this.#addForeign(stream, info);
              this.need.add("legend").add("overview");
              this.#allCharts();
              this.#toggleCompare(false);
            } },
            el("span", { class: "rc-check", "aria-hidden": "true", text: on ? "✓" : "+" }),
            el("span", { class: "rc-name", text: info.name }),
            el("span", { class: `rstatus st-${info.status}`, text: info.status }));
        })));
      menu.replaceChildren(el("p", { class: "rc-note", text: "Overlay a run of this channel's earlier streams:" }),
        ...(items.length ? items : [el("p", { class: "rc-note is-empty", text: "No runs in this channel's other streams." })]));
    } catch (err) {
      menu.replaceChildren(el("p", { class: "rc-note is-error", text: `Could not list earlier streams: ${err.message}` }));
    }
  }

  async #addForeign(stream, info) {
    const key = `${stream.id}/${info.run}`;
    const r = new RunView(info.run, { key, foreign: true, stream, color: this.#color(key), source: info.source });
    r.info = { ...r.info, ...info };
    this.runs.set(key, r);
    try {
      for await (const events of api.pages(stream.id, { since: Math.max(0, (info.first_seq ?? 1) - 1), kind: "metric", source: r.source, limit: HISTORY_PAGE })) {
        if (this.runs.get(key) !== r) return;
        const touched = new Set();
        for (const ev of events) {
          r.addRows(ev.data.rows, touched);
          if (ev.data.rows.length) r.info.step = ev.data.rows.at(-1).step;
        }
        for (const name of touched) {
          this.#metric(name);
          this.#dirty(name);
        }
        this.need.add("overview");
        this.#schedule();
      }
    } catch (err) {
      this.#say(`Could not load ${r.label}: ${err.message}`);
    }
  }

  // ── for tests and the curious ───────────────────────────────────────────────────────────

  /** {n, last} of a run's metric: points loaded and the newest step. */
  points(run, metric) {
    const s = this.runs.get(run)?.series.get(metric);
    return s ? { n: s.n, last: s.lastStep } : { n: 0, last: null };
  }

  /** The newest step a metric's chart draws now (null before it is drawn). */
  chartLast(metric) {
    const xs = this.metrics.get(metric)?.chart.plot?.data[0];
    return xs?.length ? xs[xs.length - 1] : null;
  }

  /** Keys of the runs a metric's chart draws now. */
  drawn(metric) {
    return this.metrics.get(metric)?.chart.runs.map((r) => r.key) ?? [];
  }
}
