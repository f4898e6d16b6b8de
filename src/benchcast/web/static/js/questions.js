/**
 * The Q&A panel: viewers ask and upvote; open questions are sorted by votes; the streamer (or a
 * moderator) marks one answered, and the archive links it to that moment ("answered at 12:34"
 * seeks the player there). A player panel over the fold's `audience.questions`.
 */

import { render } from "./markdown.js";
import { anchorLabel, clock, el, nameGate, nameTag } from "./ui.js";

export class QuestionsPanel {
  constructor(client, player) {
    this.client = client;
    this.player = player;
    this.questions = new Map();
    this.onNews = null;
    this.list = el("ol", { class: "q-list", "aria-label": "Questions" });
    this.compose = el("div", { class: "q-compose" });
    this.element = el("section", { class: "panel questions-panel", "aria-label": "Questions" }, this.compose, this.list);
    client.addEventListener("change", () => {
      this.#drawComposer();
      this.#draw();
    });
    this.#drawComposer();
  }

  reset(state) {
    this.questions.clear();
    for (const q of state?.audience?.questions ?? []) this.questions.set(q.id, { ...q });
    this.#draw();
  }

  apply(ev) {
    const d = ev.data;
    if (ev.kind === "question") {
      this.questions.set(d.id, { ...d, seq: ev.seq, t: ev.t, votes: 0, answered: null });
      this.onNews?.();
    } else if (ev.kind === "question.vote") {
      const q = this.questions.get(d.question);
      if (!q) return;
      q.votes = Math.max(0, q.votes + (d.up ? 1 : -1));
      if (d.user === this.client.me.user) {
        if (d.up) this.client.votes.set(d.question, 1);
        else this.client.votes.delete(d.question);
      }
    } else if (ev.kind === "question.answered") {
      const q = this.questions.get(d.question);
      if (q) q.answered = { seq: ev.seq, t: ev.t };
    } else if (ev.kind === "chat.delete") {
      if (!this.questions.delete(d.id)) return;
    } else {
      return;
    }
    this.#draw();
  }

  #draw() {
    const c = this.client;
    const sorted = [...this.questions.values()].sort(
      (a, b) => (a.answered ? 1 : 0) - (b.answered ? 1 : 0) || b.votes - a.votes || a.seq - b.seq,
    );
    this.list.replaceChildren(
      ...sorted.map((q) => {
        const voted = c.votes.has(q.id);
        const text = el("div", { class: "q-text" });
        text.append(render(q.text ?? ""));
        const up = el("button", {
          type: "button",
          class: `q-vote${voted ? " voted" : ""}`,
          "aria-pressed": String(voted),
          "aria-label": voted ? "Take back your upvote" : "Upvote",
          disabled: !c.canWrite || !!q.answered,
          onclick: () => c.act(`/questions/${q.id}/vote`, { up: !voted }).catch((e) => this.#error(e.message)),
        }, el("span", { class: "q-arrow", text: "▲" }), el("span", { class: "q-count", text: String(q.votes) }));
        const answered = q.answered
          ? el("a", {
            class: "q-answered",
            href: `?t=${Math.floor(q.answered.t)}`,
            text: `answered at ${clock(q.answered.t)}`,
            onclick: (e) => {
              e.preventDefault();
              this.player.seek(q.answered.t);
            },
          })
          : null;
        const mark = c.staff && !q.answered
          ? el("button", { type: "button", class: "msg-act", text: "Mark answered", onclick: () => c.act(`/questions/${q.id}/answered`, {}).catch((e) => this.#error(e.message)) })
          : null;
        const remove = c.staff || q.user === c.me.user
          ? el("button", { type: "button", class: "msg-act", text: "Delete", onclick: () => c.act(`/messages/${q.id}/delete`, {}).catch((e) => this.#error(e.message)) })
          : null;
        return el(
          "li",
          { class: `q${q.answered ? " is-answered" : ""}`, "data-id": q.id },
          up,
          el("div", { class: "q-body" },
            el("div", { class: "msg-head" }, nameTag(q.name, q.role), el("time", { class: "msg-time", text: clock(q.t) })),
            text,
            q.anchor ? el("div", { class: "anchor-chip", text: anchorLabel(q.anchor) }) : null,
            el("div", { class: "q-foot" }, answered, mark, remove)),
        );
      }),
    );
    if (!sorted.length) this.list.append(el("li", { class: "empty-note", text: "No questions yet." }));
  }

  #drawComposer() {
    const c = this.client;
    this.compose.replaceChildren();
    if (!this.player.stream.live) return;
    if (!c.canWrite) {
      this.compose.append(nameGate(c, () => this.#drawComposer()));
      return;
    }
    const box = el("textarea", { class: "compose-text", rows: 2, maxlength: 2000, placeholder: "Ask the streamer a question…", "aria-label": "Question" });
    const error = el("p", { class: "form-error", role: "alert" });
    this.error = error;
    const form = el("form", { class: "compose" }, box, el("div", { class: "compose-row" }, el("span"), el("button", { type: "submit", class: "btn", text: "Ask" })), error);
    box.addEventListener("keydown", (e) => e.stopPropagation());
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!box.value.trim()) return;
      error.textContent = "";
      try {
        await c.act("/questions", { text: box.value });
        box.value = "";
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
