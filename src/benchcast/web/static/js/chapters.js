/**
 * Chapters: marks on the seek bar, a table of contents beside the player, and jumps between
 * the moments that matter ("next chapter / next run / next bug report").
 *
 * The whole stream's chapters, notes, runs and bug reports come from
 * GET /api/streams/{id}/moments (chapters as folded from the log, with the streamer's edits;
 * notes, runs and bug reports from the search index). While live, the list is fetched again
 * shortly after an event that can change it arrives, and notes, runs and bug reports that
 * arrive are added at once.
 *
 * Keys (outside text fields): n / p next and previous chapter, r next run, b next bug report.
 * A player panel: apply(ev) only watches for news; the list is the stream's, not the position's.
 */

import { clock } from "./format.js";

const REFRESH_KINDS = new Set([
  "stream.start",
  "activity",
  "marker",
  "now",
  "run.start",
  "run.end",
  "paper.open",
  "air",
]);
/** Seconds: jumping "previous" from this far into a chapter goes to its start. */
const BACK_SLACK = 3;

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class ChapterPanel extends EventTarget {
  /**
   * @param {object} o
   * @param {HTMLElement} o.root    the [data-watch] element
   * @param {Player} o.player
   * @param {Layout} o.layout
   * @param {string} o.streamId
   * @param {(id) => Promise<object>} [o.load]  how to get the moments (static exports pass
   *                                            their own; default: the server's API)
   */
  constructor({ root, player, layout, streamId, load = null }) {
    super();
    this.player = player;
    this.streamId = streamId;
    this.load = load ?? defaultLoad;
    this.chapters = [];
    this.notes = [];
    this.runs = [];
    this.bugs = [];
    this._timer = 0;
    this._current = -1;

    // The table of contents, beside the player.
    this.element = el("section", "panel toc-panel");
    this.element.setAttribute("aria-label", "Chapters");
    const bar = el("div", "toc-bar");
    this.jumps = {
      prev: this.#jumpButton("◀ Chapter", "Previous chapter (p)", () => this.prev()),
      next: this.#jumpButton("Chapter ▶", "Next chapter (n)", () => this.next("chapter")),
      run: this.#jumpButton("Run ▶", "Next run (r)", () => this.next("run")),
      bug: this.#jumpButton("Bug ▶", "Next bug report (b)", () => this.next("bug")),
    };
    bar.append(...Object.values(this.jumps));
    this.list = el("ol", "toc-list");
    this.empty = el("p", "panel-empty", "No chapters yet. The streamer marks them with `benchcast mark`, an activity or a goal; runs and pauses add their own.");
    this.element.append(bar, this.list, this.empty);
    layout.addSide({ id: "chapters", title: "Chapters", element: this.element });

    // Marks on the seek bar.
    const seek = root.querySelector("[data-seek]");
    this.marks = el("div", "seek-marks");
    this.marks.setAttribute("aria-hidden", "true");
    if (seek) {
      const wrap = el("div", "seek-wrap");
      seek.parentElement.insertBefore(wrap, seek);
      wrap.append(seek, this.marks);
    }

    player.addEventListener("tick", () => this.#highlight());
    player.addEventListener("change", () => this.#layoutMarks());
    window.addEventListener("keydown", (e) => this.#key(e));
    this.ready = this.refresh();
  }

  /** Fetch the moments again; resolves when drawn. */
  async refresh() {
    try {
      const m = await this.load(this.streamId);
      this.chapters = m.chapters ?? [];
      this.notes = m.notes ?? [];
      this.runs = m.runs ?? [];
      this.bugs = m.bugs ?? [];
    } catch (err) {
      this.player.dispatchEvent(new CustomEvent("error", { detail: `Chapters: ${err.message}` }));
      return;
    }
    this.#draw();
    this.dispatchEvent(new Event("change"));
  }

  /** Chapters that started at or before stream time t (the catch-up panel's "so far"). */
  soFar(t) {
    return this.chapters.filter((c) => c.t <= t + 0.001);
  }

  // ── the player's panel interface ───────────────────────────────────────────────────────

  apply(ev) {
    if (this.player.mode !== "live") return;
    let news = false;
    if (ev.kind === "note") {
      this.notes.push({ t: ev.t, text: ev.data.text });
      news = true;
    } else if (ev.kind === "run.start") {
      this.runs.push({ t: ev.t, name: ev.data.name || ev.data.run });
      news = true;
    } else if (ev.kind === "comment" && ev.data.kind === "bug") {
      this.bugs.push({ t: ev.t, text: ev.data.text });
      news = true;
    }
    if (news) this.#draw();
    if (REFRESH_KINDS.has(ev.kind)) {
      clearTimeout(this._timer);
      this._timer = setTimeout(() => this.refresh(), 400);
    }
  }

  // ── jumps ──────────────────────────────────────────────────────────────────────────────

  #times(what) {
    const list = { chapter: this.chapters, run: this.runs, bug: this.bugs, note: this.notes }[what];
    return list.map((x) => x.t);
  }

  /** Seek to the next chapter (or run, bug report, note) after the position. */
  next(what = "chapter") {
    const now = this.player.position();
    const t = this.#times(what).find((x) => x > now + 0.5);
    if (t !== undefined) this.player.seek(t);
    return t;
  }

  /** Seek to the start of this chapter, or the one before if already near its start. */
  prev() {
    const now = this.player.position();
    const before = this.#times("chapter").filter((x) => x < now - BACK_SLACK);
    const t = before.length ? before[before.length - 1] : 0;
    this.player.seek(t);
    return t;
  }

  #jumpButton(label, title, onclick) {
    const b = el("button", "toc-jump", label);
    b.type = "button";
    b.title = title;
    b.addEventListener("click", onclick);
    return b;
  }

  #key(e) {
    if (e.ctrlKey || e.altKey || e.metaKey || e.defaultPrevented) return;
    const t = e.target;
    const tag = t?.tagName;
    if (t?.isContentEditable || tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && t.type !== "range")) return;
    const act = { n: () => this.next("chapter"), p: () => this.prev(), r: () => this.next("run"), b: () => this.next("bug") }[e.key];
    if (act) {
      act();
      e.preventDefault();
    }
  }

  // ── drawing ────────────────────────────────────────────────────────────────────────────

  #draw() {
    this.list.replaceChildren();
    for (const c of this.chapters) {
      const item = el("li", `toc-item toc-${c.type.replace(".", "-")}${c.auto ? " is-auto" : ""}`);
      item.dataset.t = String(c.t);
      item.dataset.seq = String(c.seq);
      const link = el("button", "toc-link");
      link.type = "button";
      link.append(el("span", "toc-time", clock(c.t)), el("span", "toc-title", c.title));
      link.addEventListener("click", () => this.player.seek(c.t));
      item.append(link);
      if (c.summary) item.append(el("p", "toc-summary", c.summary));
      this.list.append(item);
    }
    this.empty.hidden = this.chapters.length > 0;
    this.jumps.run.hidden = this.runs.length === 0;
    this.jumps.bug.hidden = this.bugs.length === 0;
    this._current = -1;
    this.#layoutMarks();
    this.#highlight();
  }

  #layoutMarks() {
    const dur = this.player.duration();
    this.marks.replaceChildren();
    if (!(dur > 0)) return;
    const put = (t, cls, title) => {
      const m = el("span", `seek-mark ${cls}`);
      m.style.left = `${Math.min(100, (100 * t) / dur)}%`;
      m.title = `${clock(t)} ${title}`;
      this.marks.append(m);
    };
    for (const c of this.chapters) put(c.t, c.auto ? "is-auto" : "is-chapter", c.title);
    for (const n of this.notes) put(n.t, "is-note", "note");
    for (const b of this.bugs) put(b.t, "is-bug", "bug report");
  }

  #highlight() {
    const now = this.player.position();
    let cur = -1;
    for (let i = 0; i < this.chapters.length; i++) if (this.chapters[i].t <= now + 0.001) cur = i;
    if (cur === this._current) return;
    this._current = cur;
    [...this.list.children].forEach((li, i) => li.classList.toggle("is-current", i === cur));
  }
}

async function defaultLoad(id) {
  const res = await fetch(`/api/streams/${encodeURIComponent(id)}/moments`, {
    headers: { Accept: "application/json" },
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error ?? `${res.status} ${res.statusText}`);
  return body;
}
