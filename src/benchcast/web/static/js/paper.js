/**
 * The paper panel: the PDF the streamer is reading, drawn with pdf.js (real, selectable
 * text), following the streamer's page and scroll; the highlights and margin notes appear
 * as they are made; viewers ask a question or flag an issue about a selected passage (a
 * `{paper, page, quote, prefix, suffix, start, end}` anchor), shown in the margin.
 *
 * A player panel: reset(state) shows the fold's `papers` (replay/papers.py) at the player's
 * position — the page the streamer was on and the highlights made so far — and apply(ev)
 * follows paper.open / paper.view / paper.highlight, and questions and comments anchored to
 * a paper. "Read freely" stops following (so do the page buttons); "Follow" goes back.
 *
 * `window.benchcast.paper` exposes {following, page, hash, highlights, view} for tests.
 */

import { render } from "./markdown.js";
import { PaperView } from "./paper-view.js";
import { clock, el, nameTag } from "./ui.js";

export class PaperPanel {
  constructor({ layout, player, audience }) {
    this.layout = layout;
    this.player = player;
    this.audience = audience;
    this.papers = new Map();
    this.current = null;
    this.highlights = [];
    this.asked = new Map();
    this.following = true;
    this.page = 1;
    this.hash = null;
    this.added = false;

    this.title = el("span", { class: "paper-title" });
    this.where = el("span", { class: "paper-where", "aria-live": "polite" });
    this.prev = el("button", { type: "button", class: "btn btn-small", title: "Previous page", text: "‹", onclick: () => this.#turn(-1) });
    this.next = el("button", { type: "button", class: "btn btn-small", title: "Next page", text: "›", onclick: () => this.#turn(1) });
    this.followBtn = el("button", { type: "button", class: "btn btn-small paper-follow", onclick: () => this.setFollowing(!this.following) });
    this.notice = el("span", { class: "paper-notice" });
    const api = `/api/streams/${encodeURIComponent(player.stream?.id ?? "")}`;
    const exports = el("span", { class: "paper-exports" },
      el("a", { href: `${api}/reading-notes.md`, download: "", title: "Highlights, notes and questions as Markdown", text: "Notes .md" }),
      el("a", { href: `${api}/annotations.jsonld`, download: "", title: "Highlights as W3C Web Annotations (JSON-LD)", text: "Annotations" }));
    const bar = el("div", { class: "paper-bar" }, this.title, this.prev, this.where, this.next, this.followBtn, exports, this.notice);
    this.scroller = el("div", { class: "paper-body" });
    this.view = new PaperView(this.scroller);
    this.askBox = el("div", { class: "paper-ask", hidden: true });
    this.margin = el("ol", { class: "paper-margin-list", "aria-label": "Highlights and questions on this page" });
    const margin = el("aside", { class: "paper-margin" }, this.askBox, this.margin);
    this.element = el("section", { class: "panel paper-panel", "aria-label": "Paper" }, bar, el("div", { class: "paper-main" }, this.scroller, margin));
    this.#drawFollow();

    this.view.addEventListener("page", () => this.#drawMargin());
    this.scroller.addEventListener("mouseup", () => setTimeout(() => this.#offerAsk(), 0));
    this.scroller.addEventListener("wheel", () => this.following && this.setFollowing(false), { passive: true });
    layout.addEventListener("viewchange", (e) => {
      if (e.detail === "paper") this.view.refit().then(() => this.#follow());
    });
    window.addEventListener("resize", () => this.view.refit());
  }

  reset(state) {
    const s = state?.papers ?? {};
    this.papers = new Map(Object.entries(s.papers ?? {}));
    this.current = s.current ?? null;
    this.highlights = (s.highlights ?? []).map((h) => ({ ...h }));
    this.asked.clear();
    for (const key of ["questions", "comments"]) {
      for (const c of state?.audience?.[key] ?? []) if (c.anchor?.paper) this.asked.set(c.id, { ...c, kind: c.kind ?? "question" });
    }
    if (this.current) this.#ensureView();
    this.#update();
  }

  apply(ev) {
    const d = ev.data;
    if (ev.kind === "paper.open") {
      const old = this.papers.get(d.blob);
      this.papers.set(d.blob, { ...d, t: ev.t, seq: ev.seq, page: old?.page ?? 1, scroll: old?.scroll ?? 0 });
      this.current = d.blob;
      this.#ensureView();
      if (this.player.state?.().live) this.layout.show("paper");
      this.layout.flag("paper");
    } else if (ev.kind === "paper.view") {
      const p = this.papers.get(d.paper);
      if (!p) return;
      Object.assign(p, { page: d.page, scroll: d.scroll ?? 0 });
      this.current = d.paper;
    } else if (ev.kind === "paper.highlight") {
      this.highlights.push({ ...d, t: ev.t, seq: ev.seq });
      this.layout.flag("paper");
    } else if ((ev.kind === "question" || ev.kind === "comment") && d.anchor?.paper) {
      this.asked.set(d.id, { ...d, kind: d.kind ?? "question", t: ev.t, seq: ev.seq });
    } else if (ev.kind === "chat.delete" && this.asked.has(d.id)) {
      this.asked.delete(d.id);
    } else {
      return;
    }
    this.#update();
  }

  setFollowing(on) {
    this.following = on;
    this.#drawFollow();
    if (on) this.#follow();
  }

  #drawFollow() {
    this.followBtn.textContent = this.following ? "Read freely" : "Follow";
    this.followBtn.title = this.following
      ? "Stop following the streamer's page and read on your own"
      : "Go back to the page the streamer is on";
    this.followBtn.classList.toggle("is-following", this.following);
    this.element?.classList.toggle("is-free", !this.following);
  }

  #ensureView() {
    if (this.added) return;
    this.added = true;
    this.layout.addView({ id: "paper", title: "Paper", element: this.element });
  }

  #update() {
    const paper = this.current ? this.papers.get(this.current) : null;
    this.title.textContent = paper?.title ?? "";
    this.notice.textContent = paper && paper.searchable === false ? "Scanned: no text layer, search is unavailable for it" : "";
    if (!paper) return;
    if (this.following) this.#follow();
    else this.view.setHighlights(this.highlights);
    this.#drawMargin();
  }

  #follow() {
    const paper = this.current ? this.papers.get(this.current) : null;
    if (!paper || this.element.hidden) return;
    this.hash = paper.blob;
    this.page = paper.page;
    this.view.setHighlights(this.highlights);
    this.view
      .show(paper.blob, paper.page)
      .then(() => {
        if (this.following) this.view.scrollTo(paper.scroll ?? 0);
        this.#drawWhere();
      })
      .catch((err) => this.#fail(err));
  }

  #turn(delta) {
    if (!this.hash) return;
    this.setFollowing(false);
    this.page = Math.min(Math.max(1, this.page + delta), this.view.pages || 1);
    this.view.show(this.hash, this.page).then(() => this.#drawWhere()).catch((err) => this.#fail(err));
  }

  #fail(err) {
    this.notice.textContent = `This paper cannot be shown: ${err?.message ?? err}`;
  }

  #drawWhere() {
    this.where.textContent = `p. ${this.view.page} of ${this.view.pages}`;
    this.#drawMargin();
  }

  #drawMargin() {
    const page = this.view.page;
    const items = [];
    for (const h of this.highlights) {
      if (h.paper !== this.view.hash || h.page !== page) continue;
      const li = el("li", { class: "paper-note", "data-highlight": h.id },
        el("button", { type: "button", class: "paper-note-time", text: clock(h.t), title: "Go to this moment", onclick: () => this.player.seek(h.t) }),
        el("blockquote", { class: "paper-quote", text: h.quote }));
      if (h.note) li.append(el("div", { class: "paper-note-text" }, render(h.note)));
      items.push([h.start ?? 0, li]);
    }
    for (const c of this.asked.values()) {
      const a = c.anchor;
      if (a.paper !== this.view.hash || a.page !== page) continue;
      const li = el("li", { class: `paper-asked is-${c.kind}`, "data-asked": c.id },
        el("span", { class: "paper-asked-kind", text: c.kind === "bug" ? "Issue" : "Question" }),
        nameTag(c.name, c.role),
        el("blockquote", { class: "paper-quote", text: a.quote ?? "" }),
        el("div", { class: "paper-asked-text", text: c.text }));
      items.push([a.start ?? 0, li]);
    }
    items.sort((x, y) => x[0] - y[0]);
    this.margin.replaceChildren(...items.map(([, li]) => li));
    if (!items.length) this.margin.append(el("li", { class: "panel-empty", text: "Select a passage to ask about it." }));
  }

  #offerAsk() {
    const anchor = this.view.selection();
    if (!anchor) return;
    this.anchor = anchor;
    const client = this.audience?.client;
    const text = el("textarea", { rows: 3, maxlength: 2000, placeholder: "Your question or the issue you see", "aria-label": "Question about the passage" });
    const status = el("p", { class: "paper-ask-status", role: "status" });
    const send = async (kind) => {
      const body = text.value.trim();
      if (!body) return text.focus();
      if (!client?.canWrite) {
        status.textContent = "Pick a name in the chat panel first.";
        return;
      }
      const { paper, page, quote, prefix, suffix, start, end } = this.anchor;
      const a = { paper, page, quote, prefix, suffix, start, end };
      try {
        if (kind === "question") await client.act("/questions", { text: body, anchor: a });
        else await client.act("/comments", { kind: "bug", text: body, anchor: a });
        this.askBox.hidden = true;
        window.getSelection()?.removeAllRanges();
      } catch (err) {
        status.textContent = err.message;
      }
    };
    this.askBox.replaceChildren(
      el("blockquote", { class: "paper-quote", text: anchor.quote }),
      text,
      el("div", { class: "paper-ask-actions" },
        el("button", { type: "button", class: "btn", text: "Ask", onclick: () => send("question") }),
        el("button", { type: "button", class: "btn btn-small", text: "Flag an issue", onclick: () => send("bug") }),
        el("button", { type: "button", class: "btn btn-small", text: "Cancel", onclick: () => (this.askBox.hidden = true) })),
      status,
    );
    this.askBox.hidden = false;
  }
}
