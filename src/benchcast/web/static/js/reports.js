/**
 * The reports panel: bug reports, ideas and questions anchored to something on stream (a code
 * line, terminal output, a run's metric at a step, a figure, a notebook cell, a paper's
 * quote), each with the status the streamer sets (open, acknowledged, fixed, won't fix),
 * changing live for everyone. Anchors whose panel does not exist yet show as plain items.
 *
 * The composer takes its anchor from a `benchcast:report` event (another panel: a code
 * line's gutter), else from the terminal: the selected text, at the event being shown.
 */

import { render } from "./markdown.js";
import { anchorLabel, clock, el, nameGate, nameTag } from "./ui.js";

const STATUS = { open: "open", acknowledged: "acknowledged", fixed: "fixed", wontfix: "won't fix" };
const KINDS = { bug: "Bug", idea: "Idea", question: "Question" };

export class ReportsPanel {
  constructor(client, player, { deck, layout }) {
    this.client = client;
    this.player = player;
    this.deck = deck;
    this.layout = layout;
    this.comments = new Map();
    this.anchor = null;
    this.kind = "bug";
    this.onNews = null;
    this.list = el("ol", { class: "r-list", "aria-label": "Reports" });
    this.compose = el("div", { class: "r-compose" });
    this.element = el("section", { class: "panel reports-panel", "aria-label": "Reports" }, this.compose, this.list);
    client.addEventListener("change", () => {
      this.#drawComposer();
      this.#draw();
    });
    this.#drawComposer();
  }

  reset(state) {
    this.comments.clear();
    for (const c of state?.audience?.comments ?? []) this.comments.set(c.id, { ...c });
    this.#draw();
  }

  apply(ev) {
    const d = ev.data;
    if (ev.kind === "comment") {
      this.comments.set(d.id, { ...d, seq: ev.seq, t: ev.t, status: "open", status_seq: null, status_t: null });
      this.onNews?.();
    } else if (ev.kind === "comment.status") {
      const c = this.comments.get(d.comment);
      if (!c) return;
      Object.assign(c, { status: d.status, status_seq: ev.seq, status_t: ev.t });
    } else if (ev.kind === "chat.delete") {
      if (!this.comments.delete(d.id)) return;
    } else {
      return;
    }
    this.#draw();
  }

  /** Open the composer with an anchor (and a kind) from another panel. */
  report({ anchor = null, kind = null } = {}) {
    if (anchor) this.anchor = anchor;
    if (kind && KINDS[kind]) this.kind = kind;
    this.#drawComposer();
    this.element.querySelector("textarea")?.focus();
  }

  #terminalAnchor() {
    const view = this.deck?.primary;
    if (!view) return null;
    const text = view.term?.getSelection?.() ?? "";
    const anchor = { term: view.source, seq: Math.max(1, this.player.seq) };
    if (text.trim()) anchor.text = text.slice(0, 4000);
    return anchor;
  }

  #draw() {
    const c = this.client;
    const items = [...this.comments.values()].sort((a, b) => b.seq - a.seq);
    this.list.replaceChildren(
      ...items.map((r) => {
        const text = el("div", { class: "r-text" });
        text.append(render(r.text ?? ""));
        const statusButtons = c.staff
          ? el("div", { class: "r-actions" }, ...Object.entries(STATUS).filter(([s]) => s !== r.status).map(([s, label]) =>
            el("button", { type: "button", class: "msg-act", "data-status": s, text: s === "open" ? "reopen" : label,
              onclick: () => c.act(`/comments/${r.id}/status`, { status: s }).catch((e) => this.#error(e.message)) })))
          : null;
        const at = el("a", {
          class: "r-at",
          href: `?t=${Math.floor(r.t)}`,
          text: clock(r.t),
          title: "Go to this moment",
          onclick: (e) => {
            e.preventDefault();
            this.player.seek(r.t);
          },
        });
        return el(
          "li",
          { class: `r r-${r.kind} status-${r.status}`, "data-id": r.id },
          el("div", { class: "msg-head" },
            el("span", { class: `r-kind kind-${r.kind}`, text: KINDS[r.kind] ?? r.kind }),
            el("span", { class: `r-status st-${r.status}`, "data-status": r.status, text: STATUS[r.status] ?? r.status }),
            nameTag(r.name, r.role), at),
          el("div", { class: "anchor-chip", title: r.anchor?.text ?? "", text: anchorLabel(r.anchor) }),
          r.anchor?.text ? el("pre", { class: "anchor-quote", text: r.anchor.text.slice(0, 400) }) : null,
          text,
          statusButtons,
        );
      }),
    );
    if (!items.length) this.list.append(el("li", { class: "empty-note", text: "No reports yet. Select terminal output (or a code line) and report what you see." }));
  }

  #drawComposer() {
    const c = this.client;
    this.compose.replaceChildren();
    if (!this.player.stream.live) return;
    if (!c.canWrite) {
      this.compose.append(nameGate(c, () => this.#drawComposer()));
      return;
    }
    const kinds = el("div", { class: "r-kinds", role: "radiogroup", "aria-label": "Kind" },
      ...Object.entries(KINDS).map(([k, label]) => el("button", {
        type: "button",
        class: `chip${this.kind === k ? " on" : ""}`,
        role: "radio",
        "aria-checked": String(this.kind === k),
        text: label,
        onclick: () => {
          this.kind = k;
          this.#drawComposer();
        },
      })));
    const anchorText = this.anchor ? anchorLabel(this.anchor) : "the terminal, at what you see (select text to quote it)";
    const chip = el("div", { class: "anchor-pick" }, el("span", { class: "anchor-chip", text: anchorText }),
      this.anchor ? el("button", { type: "button", class: "msg-act", text: "×", "aria-label": "Clear anchor", onclick: () => { this.anchor = null; this.#drawComposer(); } }) : null);
    const box = el("textarea", { class: "compose-text", rows: 2, maxlength: 2000, placeholder: "What did you notice?", "aria-label": "Report" });
    const error = el("p", { class: "form-error", role: "alert" });
    this.error = error;
    const form = el("form", { class: "compose" }, kinds, chip, box,
      el("div", { class: "compose-row" }, el("span"), el("button", { type: "submit", class: "btn", text: "Report" })), error);
    box.addEventListener("keydown", (e) => e.stopPropagation());
    box.addEventListener("focus", () => {
      // Take the terminal's selection now: it is what the viewer is pointing at.
      const picked = this.anchor ? null : this.#terminalAnchor();
      if (picked?.text) {
        this.anchor = picked;
        chip.firstChild.textContent = anchorLabel(picked);
      }
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!box.value.trim()) return;
      const anchor = this.anchor ?? this.#terminalAnchor();
      if (!anchor) {
        error.textContent = "Nothing to point at yet: no terminal or code on stream.";
        return;
      }
      error.textContent = "";
      try {
        await c.act("/comments", { kind: this.kind, text: box.value, anchor });
        box.value = "";
        this.anchor = null;
        this.#drawComposer();
      } catch (err) {
        error.textContent = err.message;
      }
    });
    this.compose.append(form);
  }

  #error(message) {
    if (this.error) this.error.textContent = message;
  }
}
