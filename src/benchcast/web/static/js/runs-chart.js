/**
 * One metric's chart in the runs panel: uPlot, every shown run overlaid in its colour (runs of
 * an earlier stream dashed), the raw line faint behind the smoothed one when smoothing is on.
 *
 * What is drawn is decimated per pixel column (runs-data.js m4), for the x range on screen:
 * zooming in (drag across the plot) decimates again at the new range, so the points are
 * exact once there are fewer than the pixels. Double-click zooms out. Hover shows the step
 * and each run's value there; a click picks the nearest point of this stream's runs and
 * hands {run, metric, step} to the panel (to anchor a comment). Comments already anchored to
 * this metric sit on the line as markers.
 */

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { fmtStep, fmtValue, lowerBound, m4 } from "./runs-data.js";
import { el } from "./ui.js";

const HEIGHT = 190;
const AXIS = "#8d97a8";
const GRID = "rgba(255, 255, 255, 0.06)";
const FONT = '11px Inter, "Segoe UI", system-ui, sans-serif';
/** Pixels the mouse may move between press and release and still be a click. */
const CLICK_SLOP = 4;

/** Short axis labels: 12k, 1.5M, 0.001, 3e-5. */
function axisNumber(v) {
  if (v === null || v === undefined) return "";
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  if (a !== 0 && a < 1e-3) return v.toExponential(0).replace("e+", "e");
  return `${+v.toPrecision(4)}`;
}

export class MetricChart {
  /**
   * @param {object} panel  the runs panel: shownRuns(), options {smoothing, log}, zoom,
   *                        commentsFor(metric), pick(anchor, at), setZoom(range|null)
   * @param {string} metric
   * @param {string} title  the name shown (the metric without its section)
   */
  constructor(panel, metric, title) {
    this.panel = panel;
    this.metric = metric;
    this.plot = null;
    this.shape = "";
    this.runs = [];
    this.hovered = false;
    this.visible = false;
    this.dirty = true;
    this.value = el("span", { class: "rchart-val" });
    this.warn = el("span", { class: "rchart-warn", hidden: true });
    this.host = el("div", { class: "rchart-plot" });
    this.tip = el("div", { class: "rchart-tip", hidden: true, role: "tooltip" });
    this.marks = el("div", { class: "rchart-marks" });
    this.element = el(
      "figure",
      { class: "rchart", "data-metric": metric },
      el("figcaption", { class: "rchart-head" },
        el("span", { class: "rchart-title", title: metric, text: title }), this.warn, this.value),
      this.host,
    );
  }

  destroy() {
    this.plot?.destroy();
    this.plot = null;
  }

  /** Redraw with the panel's current runs, options and zoom (cheap when nothing changed). */
  update() {
    this.dirty = false;
    const width = this.host.clientWidth;
    if (!width) {
      this.dirty = true;
      return;
    }
    const { smoothing, log } = this.panel.options;
    const runs = this.panel.shownRuns().filter((r) => r.series.has(this.metric) || r.pendingValue(this.metric) !== null);
    const shape = [smoothing > 0, log, ...runs.map((r) => `${r.key}|${r.color}`)].join(",");
    const data = this.#data(runs, width, smoothing, log);
    this.runs = runs;
    if (!this.plot || shape !== this.shape || this.plot.width !== width) {
      this.destroy();
      this.shape = shape;
      this.plot = new uPlot(this.#options(runs, width, smoothing, log), data, this.host);
      this.plot.over.append(this.marks, this.tip);
      this.#bindPointer();
    } else {
      this.plot.setData(data);
    }
    this.#header(runs);
  }

  /** The uPlot data: [steps, run 1 (raw[, smoothed]), run 2 …], joined on step. */
  #data(runs, width, smoothing, log) {
    const zoom = this.panel.zoom;
    let x0 = Infinity;
    let x1 = -Infinity;
    for (const r of runs) {
      const s = r.series.get(this.metric);
      if (s?.n) {
        x0 = Math.min(x0, s.x[0]);
        x1 = Math.max(x1, s.x[s.n - 1]);
      }
      const p = r.pendingStep(this.metric);
      if (p !== null) {
        x0 = Math.min(x0, p);
        x1 = Math.max(x1, p);
      }
    }
    if (zoom) [x0, x1] = zoom;
    const buckets = Math.max(50, Math.round(width));
    const tables = runs.map((r) => {
      const s = r.series.get(this.metric);
      const xs = [];
      const ys = [];
      const ss = [];
      const fix = (v) => (Number.isFinite(v) && !(log && v <= 0) ? v : null);
      if (s?.n) {
        const smooth = smoothing > 0 ? r.smoothed(this.metric, smoothing) : null;
        // One point beyond each end of the range, so lines run to the plot's edges.
        const i0 = lowerBound(s.x, s.n, x0) - 1;
        const i1 = lowerBound(s.x, s.n, x1 + 1e-9) + 1;
        for (const i of m4(s.x, s.y, s.n, i0, i1, buckets)) {
          xs.push(s.x[i]);
          ys.push(fix(s.y[i]));
          if (smooth) ss.push(fix(smooth[i]));
        }
      }
      const p = r.pendingStep(this.metric);
      if (p !== null && (!xs.length || p > xs[xs.length - 1])) {
        xs.push(p);
        ys.push(fix(r.pendingValue(this.metric)));
        if (smoothing > 0) ss.push(ss.length ? ss[ss.length - 1] : ys[ys.length - 1]);
      }
      return smoothing > 0 ? [xs, ys, ss] : [xs, ys];
    });
    if (!tables.length) return [[]];
    return uPlot.join(tables);
  }

  #options(runs, width, smoothing, log) {
    const series = [{ label: "step" }];
    for (const r of runs) {
      const base = { label: r.label, stroke: r.color, dash: r.dash ?? undefined, points: { show: false } };
      if (smoothing > 0) {
        series.push({ ...base, width: 1, alpha: 0.22 });
        series.push({ ...base, width: 1.6 });
      } else {
        series.push({ ...base, width: 1.5 });
      }
    }
    const axis = {
      stroke: AXIS,
      font: FONT,
      grid: { stroke: GRID, width: 1 },
      ticks: { stroke: GRID, width: 1, size: 4 },
    };
    return {
      width,
      height: HEIGHT,
      legend: { show: false },
      padding: [8, 10, 0, 0],
      series,
      scales: {
        x: {
          time: false,
          range: (u, min, max) => {
            if (this.panel.zoom) return this.panel.zoom;
            if (min === null || max === null) return [0, 1];
            return min === max ? [min - 1, max + 1] : [min, max];
          },
        },
        y: log ? { distr: 3, log: 10 } : { auto: true },
      },
      axes: [
        { ...axis, size: 28, values: (u, splits) => splits.map(axisNumber) },
        { ...axis, size: 52, values: (u, splits) => splits.map(axisNumber) },
      ],
      cursor: {
        sync: { key: this.panel.syncKey, filters: { pub: (type) => type === "mousemove" || type === "mouseleave" } },
        drag: { x: true, y: false, setScale: false },
        points: { size: 7, width: 2, fill: "#07090d" },
        bind: {
          dblclick: () => (e) => {
            if (e.button === 0) this.panel.setZoom(null);
            return null;
          },
        },
      },
      hooks: {
        setSelect: [(u) => this.#onSelect(u)],
        setCursor: [(u) => this.#onCursor(u)],
        draw: [(u) => this.#placeMarks(u)],
      },
    };
  }

  #bindPointer() {
    const over = this.plot.over;
    let down = null;
    over.addEventListener("mouseenter", () => {
      this.hovered = true;
    });
    over.addEventListener("mouseleave", () => {
      this.hovered = false;
      this.tip.hidden = true;
    });
    over.addEventListener("mousedown", (e) => {
      down = e.button === 0 ? { x: e.clientX, y: e.clientY } : null;
    });
    over.addEventListener("mouseup", (e) => {
      if (!down || Math.hypot(e.clientX - down.x, e.clientY - down.y) > CLICK_SLOP) return;
      down = null;
      const rect = over.getBoundingClientRect();
      this.#click(e.clientX - rect.left, e.clientY - rect.top);
    });
  }

  /** A drag across the plot: zoom every chart to that step range. */
  #onSelect(u) {
    const { left, width } = u.select;
    if (width < 5) return;
    const range = [u.posToVal(left, "x"), u.posToVal(left + width, "x")];
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.panel.setZoom(range);
  }

  /** The point of this stream's runs nearest to (left, top) on the plot, in pixels. */
  nearestPoint(left, top) {
    const u = this.plot;
    if (!u) return null;
    const step = u.posToVal(left, "x");
    let best = null;
    for (const r of this.runs) {
      if (r.foreign) continue;
      const s = r.series.get(this.metric);
      const p = s?.nearest(step);
      if (!p || !Number.isFinite(p.value)) continue;
      const dx = u.valToPos(p.step, "x") - left;
      const dy = u.valToPos(p.value, "y") - top;
      const d = Math.hypot(dx, dy);
      if (!best || d < best.d) best = { d, run: r, step: p.step, value: p.value };
    }
    return best;
  }

  #click(left, top) {
    const best = this.nearestPoint(left, top);
    if (!best || best.d > 40) return;
    this.panel.pick(
      { run: best.run.id, metric: this.metric, step: best.step },
      { value: best.value, chart: this },
    );
  }

  #onCursor(u) {
    const { left, top } = u.cursor;
    if (!this.hovered || left === undefined || left < 0) {
      this.tip.hidden = true;
      return;
    }
    const step = u.posToVal(left, "x");
    const rows = [];
    let at = null;
    for (const r of this.runs) {
      const s = r.series.get(this.metric);
      const p = s?.nearest(step);
      if (!p) continue;
      at ??= p.step;
      const row = el("div", { class: "tip-row" },
        el("i", { class: "tip-swatch", style: `background:${r.color}` }),
        el("span", { class: "tip-run", text: r.label }),
        el("b", { class: "tip-val", text: fmtValue(p.value) }));
      if (p.step !== at) row.append(el("span", { class: "tip-step", text: `@${fmtStep(p.step)}` }));
      if (this.panel.options.smoothing > 0) {
        const sm = r.smoothed(this.metric, this.panel.options.smoothing)[p.index];
        row.append(el("span", { class: "tip-smooth", text: `~${fmtValue(sm)}` }));
      }
      rows.push(row);
    }
    if (!rows.length) {
      this.tip.hidden = true;
      return;
    }
    const near = this.nearestPoint(left, top);
    const hint = near && near.d <= 40 && this.panel.canComment
      ? el("div", { class: "tip-hint", text: "click to comment on this point" })
      : null;
    this.tip.replaceChildren(el("div", { class: "tip-head", text: `step ${fmtStep(at)}` }), ...rows, hint ?? "");
    this.tip.hidden = false;
    const w = this.tip.offsetWidth;
    const h = this.tip.offsetHeight;
    const W = u.over.clientWidth;
    const x = left + 14 + w > W ? left - 14 - w : left + 14;
    const y = Math.max(0, Math.min(top - h / 2, u.over.clientHeight - h));
    this.tip.style.transform = `translate(${Math.max(0, x)}px, ${y}px)`;
  }

  /** Comment markers on the line of the run they are about, at their step. */
  #placeMarks(u) {
    const comments = this.panel.commentsFor(this.metric);
    const marks = [];
    const selected = this.panel.selected;
    const all = selected && selected.metric === this.metric ? [...comments, { pick: true, anchor: selected }] : comments;
    for (const c of all) {
      const a = c.anchor;
      const r = this.runs.find((x) => !x.foreign && x.id === a.run);
      const s = r?.series.get(this.metric);
      const p = s?.nearest(a.step);
      if (!p || p.step !== a.step || !Number.isFinite(p.value)) continue;
      const x = u.valToPos(p.step, "x");
      const y = u.valToPos(p.value, "y");
      if (x < 0 || x > u.over.clientWidth || y < 0 || y > u.over.clientHeight) continue;
      const mark = c.pick
        ? el("span", { class: "rchart-pick", style: `left:${x}px;top:${y}px`, title: `step ${fmtStep(a.step)}` })
        : el("span", {
          class: `rchart-mark kind-${c.kind ?? "comment"}`,
          style: `left:${x}px;top:${y}px`,
          "data-comment": c.id,
          "data-step": String(a.step),
          tabindex: 0,
          "aria-label": `${c.name ?? "someone"} on step ${fmtStep(a.step)}: ${c.text ?? ""}`,
        }, el("span", { class: "mark-bubble" },
          el("b", { text: c.name ?? "someone" }), ` · step ${fmtStep(a.step)}`, el("br"), c.text ?? ""));
      marks.push(mark);
    }
    this.marks.replaceChildren(...marks);
  }

  #header(runs) {
    // The newest value of a run still running (else of the first run), and any NaN seen.
    let latest = null;
    let bad = null;
    for (const r of runs) {
      const s = r.series.get(this.metric);
      const pv = r.pendingValue(this.metric);
      const v = pv !== null ? pv : s?.n ? s.y[s.n - 1] : null;
      const live = !r.foreign && r.info.status === "running";
      if (v !== null && (latest === null || (live && !latest.live))) latest = { v, color: r.color, live };
      if (s?.nonFinite && bad === null) bad = { step: s.firstNonFinite, run: r.label };
    }
    this.value.textContent = latest ? fmtValue(latest.v) : "";
    this.value.style.color = latest?.color ?? "";
    this.warn.hidden = !bad;
    if (bad) {
      this.warn.textContent = `NaN/∞ from step ${fmtStep(bad.step)}`;
      this.warn.title = `${bad.run}: non-finite values (drawn as gaps)`;
    }
  }
}
