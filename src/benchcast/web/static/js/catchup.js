/**
 * The catch-up ("so far") panel, for a viewer who arrives late: on one screen, the stream's
 * goal and hypothesis (`now`), the chapters so far, the runs with their latest numbers, the
 * questions and bug reports still open, and the last few notes.
 *
 * A player panel: reset(state) reads the fold's `now`, `runs`, `open` and `notes` (see
 * replay/runs.py, replay/open_items.py, replay/notes.py); apply(ev) keeps them current.
 * Chapters come from the chapters panel, cut at the position. It is brought forward by
 * default for a viewer who joins more than LATE seconds in, and folds away to its header.
 */

import { clock } from "./format.js";
import { render } from "./markdown.js";

/** Seconds into a stream after which a viewer who joins sees this panel first. */
export const LATE = 600;
const RUNS = 6;
const METRICS = 3;
const NOTES = 3;
const ITEMS = 5;

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function num(v) {
  if (typeof v === "string") return v; // "nan", "inf"
  if (typeof v !== "number") return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

export class CatchUpPanel {
  constructor({ layout, player, chapters }) {
    this.player = player;
    this.layout = layout;
    this.chapters = chapters;
    this.now = {};
    this.runs = new Map();
    this.questions = new Map();
    this.bugs = new Map();
    this.notes = [];
    this._dirty = false;

    this.element = el("section", "panel catchup-panel");
    this.element.setAttribute("aria-label", "So far");
    const head = el("div", "catchup-head");
    head.append(el("h2", "catchup-title", "So far"));
    this.toggle = el("button", "catchup-toggle", "Hide");
    this.toggle.type = "button";
    this.toggle.setAttribute("aria-expanded", "true");
    this.toggle.addEventListener("click", () => this.collapse(!this.collapsed));
    head.append(this.toggle);
    this.body = el("div", "catchup-body");
    this.element.append(head, this.body);
    this.collapsed = false;
    layout.addSide({ id: "catchup", title: "So far", element: this.element });

    this._shown = -1; // chapters drawn as "so far": redraw when the position changes that
    chapters.addEventListener("change", () => this.#soon());
    player.addEventListener("tick", () => {
      if (this.chapters.soFar(this.player.position()).length !== this._shown) this.#soon();
    });
  }

  collapse(on) {
    this.collapsed = on;
    this.body.hidden = on;
    this.toggle.textContent = on ? "Show" : "Hide";
    this.toggle.setAttribute("aria-expanded", String(!on));
    this.element.classList.toggle("is-collapsed", on);
  }

  /** Bring the panel forward if the viewer arrived more than LATE seconds in. */
  showIfLate() {
    if (this.player.position() > LATE) {
      this.layout.show("catchup");
      this.collapse(false);
      return true;
    }
    return false;
  }

  // ── the player's panel interface ───────────────────────────────────────────────────────

  reset(state) {
    this.now = { ...(state?.now ?? {}) };
    this.runs = new Map(Object.entries(state?.runs ?? {}).map(([id, r]) => [id, this.#run(r)]));
    this.questions = new Map((state?.open?.questions ?? []).map((q) => [q.id, q]));
    this.bugs = new Map((state?.open?.bugs ?? []).map((b) => [b.id, b]));
    this.notes = (state?.notes ?? []).slice(-NOTES);
    this.#soon();
  }

  apply(ev) {
    const d = ev.data;
    switch (ev.kind) {
      case "now":
        this.now = Object.fromEntries(Object.entries(d).filter(([, v]) => v));
        break;
      case "note":
        this.notes = [...this.notes, { t: ev.t, text: d.text }].slice(-NOTES);
        break;
      case "run.start":
        this.runs.set(d.run, { run: d.run, name: d.name || d.run, status: "running", metrics: {}, started: ev.t });
        break;
      case "run.end": {
        const r = this.runs.get(d.run) ?? { run: d.run, name: d.run, metrics: {} };
        r.status = d.status;
        for (const [k, v] of Object.entries(d.summary ?? {})) {
          if (typeof v === "number" || typeof v === "string") r.metrics[k] = v;
        }
        this.runs.set(d.run, r);
        break;
      }
      case "metric": {
        const r = this.runs.get(d.run) ?? { run: d.run, name: d.run, status: "running", metrics: {} };
        for (const row of d.rows ?? []) Object.assign(r.metrics, row.values);
        this.runs.set(d.run, r);
        break;
      }
      case "question":
        this.questions.set(d.id, { id: d.id, t: ev.t, text: d.text, name: d.name, votes: 0 });
        break;
      case "question.vote": {
        const q = this.questions.get(d.question);
        if (q) q.votes += d.up === false ? -1 : 1;
        break;
      }
      case "question.answered":
        this.questions.delete(d.question);
        break;
      case "comment":
        if (d.kind === "bug") this.bugs.set(d.id, { id: d.id, t: ev.t, text: d.text, name: d.name, status: "open" });
        else if (d.kind === "question") this.questions.set(d.id, { id: d.id, t: ev.t, text: d.text, name: d.name, votes: 0 });
        break;
      case "comment.status":
        if (d.status === "fixed" || d.status === "wontfix") {
          this.bugs.delete(d.comment);
          this.questions.delete(d.comment);
        } else if (this.bugs.has(d.comment)) this.bugs.get(d.comment).status = d.status;
        break;
      case "chat.delete":
        this.questions.delete(d.id);
        this.bugs.delete(d.id);
        break;
      default:
        return;
    }
    this.#soon();
  }

  // ── drawing ────────────────────────────────────────────────────────────────────────────

  #run(r) {
    const metrics = {};
    for (const [k, m] of Object.entries(r.metrics ?? {})) metrics[k] = m.value;
    for (const [k, v] of Object.entries(r.summary ?? {})) {
      if (typeof v === "number" || typeof v === "string") metrics[k] = v;
    }
    return { run: r.run, name: r.name || r.run, status: r.status, metrics, started: r.started };
  }

  #soon() {
    if (this._dirty) return;
    this._dirty = true;
    requestAnimationFrame(() => {
      this._dirty = false;
      this.draw();
    });
  }

  draw() {
    const b = this.body;
    b.replaceChildren();
    const section = (title, cls) => {
      const s = el("section", `catchup-section ${cls}`);
      s.append(el("h3", null, title));
      b.append(s);
      return s;
    };

    const goal = section("Goal", "catchup-now");
    if (this.now.goal || this.now.hypothesis || this.now.next) {
      const dl = el("dl", "catchup-dl");
      for (const [key, label] of [["goal", "Goal"], ["hypothesis", "Hypothesis"], ["next", "Next"]]) {
        if (!this.now[key]) continue;
        dl.append(el("dt", null, label), el("dd", `now-${key}`, this.now[key]));
      }
      goal.append(dl);
    } else goal.append(el("p", "muted", "The streamer has not said (`benchcast now --goal …`)."));

    const t = this.player.position();
    const chapters = this.chapters.soFar(t);
    this._shown = chapters.length;
    const ch = section(`Chapters so far (${chapters.length})`, "catchup-chapters");
    if (chapters.length) {
      const ol = el("ol", "catchup-list");
      for (const c of chapters.slice(-8)) {
        const li = el("li", c.auto ? "is-auto" : null);
        const go = el("button", "catchup-time", clock(c.t));
        go.type = "button";
        go.addEventListener("click", () => this.player.seek(c.t));
        li.append(go, el("span", "catchup-text", c.title));
        ol.append(li);
      }
      ch.append(ol);
    } else ch.append(el("p", "muted", "None yet."));

    const runs = [...this.runs.values()].slice(-RUNS);
    const rs = section(`Runs (${this.runs.size})`, "catchup-runs");
    if (runs.length) {
      const ul = el("ul", "catchup-list");
      for (const r of runs) {
        const li = el("li", `run-${r.status ?? "running"}`);
        li.append(el("span", "run-name", r.name), el("span", "run-status", r.status ?? "running"));
        const nums = Object.entries(r.metrics).slice(-METRICS);
        if (nums.length) li.append(el("span", "run-metrics", nums.map(([k, v]) => `${k} ${num(v)}`).join(" · ")));
        ul.append(li);
      }
      rs.append(ul);
    } else rs.append(el("p", "muted", "No runs yet."));

    const open = section(`Open questions and bug reports (${this.questions.size + this.bugs.size})`, "catchup-open");
    const items = [
      ...[...this.bugs.values()].map((x) => ({ ...x, what: "bug" })),
      ...[...this.questions.values()].map((x) => ({ ...x, what: "question" })),
    ].sort((a, b2) => b2.t - a.t);
    if (items.length) {
      const ul = el("ul", "catchup-list");
      for (const it of items.slice(0, ITEMS)) {
        const li = el("li", `open-${it.what}`);
        li.append(el("span", "open-kind", it.what === "bug" ? "bug" : "Q"), el("span", "catchup-text", it.text));
        if (it.votes) li.append(el("span", "open-votes", `▲ ${it.votes}`));
        ul.append(li);
      }
      open.append(ul);
    } else open.append(el("p", "muted", "Nothing open."));

    if (this.notes.length) {
      const ns = section("Latest notes", "catchup-notes");
      for (const n of this.notes) {
        const div = el("div", "catchup-note");
        div.append(el("span", "catchup-time", clock(n.t)));
        const body = el("div", "note-text");
        body.append(render(n.text));
        div.append(body);
        ns.append(div);
      }
    }
  }
}
