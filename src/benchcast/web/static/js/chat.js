/**
 * The chat panel: messages (markdown subset, replies, mentions), the pinned message, polls,
 * moderators' actions, and the composer. A player panel: reset(state) draws the fold's
 * `audience` (the newest messages, the pin, the polls); apply(event) follows the log.
 */

import { render } from "./markdown.js";
import { clock, el, nameGate, nameTag } from "./ui.js";

/** Messages kept on the page; older ones leave from the top. */
const MAX_MESSAGES = 300;

export class ChatPanel {
  constructor(client, player) {
    this.client = client;
    this.player = player;
    this.messages = new Map();
    this.names = new Map();
    this.polls = new Map();
    this.pinned = null;
    this.replyTo = null;
    this.onNews = null;

    this.pinBar = el("div", { class: "chat-pinned", hidden: true });
    this.pollBox = el("div", { class: "chat-polls" });
    this.log = el("ol", { class: "chat-log", role: "log", "aria-live": "polite", "aria-label": "Chat messages" });
    this.compose = el("div", { class: "chat-compose" });
    this.element = el("section", { class: "panel chat-panel", "aria-label": "Chat" }, this.pinBar, this.pollBox, this.log, this.compose);
    this.log.addEventListener("scroll", () => {
      this.stick = this.log.scrollTop + this.log.clientHeight >= this.log.scrollHeight - 24;
    });
    this.stick = true;
    client.addEventListener("change", () => {
      this.#drawComposer();
      this.#drawPolls();
      for (const m of this.messages.values()) {
        m.node.querySelector(".msg-menu")?.remove();
        const menu = this.#menu(m);
        if (menu) m.node.append(menu);
      }
    });
    this.#drawComposer();
  }

  // ── the player's panel interface ─────────────────────────────────────────────────────────

  reset(state) {
    const a = state?.audience ?? {};
    this.messages.clear();
    this.polls.clear();
    this.log.replaceChildren();
    for (const m of a.chat ?? []) this.#add(m);
    this.pinned = a.pinned ?? null;
    for (const p of a.polls ?? []) this.polls.set(p.id, { ...p, counts: [...p.counts] });
    this.#drawPin();
    this.#drawPolls();
    this.#scroll();
  }

  apply(ev) {
    const d = ev.data;
    switch (ev.kind) {
      case "chat.message":
        this.#add({ ...d, seq: ev.seq, t: ev.t });
        this.#scroll();
        this.onNews?.();
        return;
      case "chat.delete":
        this.#remove(d.id);
        return;
      case "chat.pin":
        if (d.pinned) this.pinned = d.id;
        else if (this.pinned === d.id) this.pinned = null;
        this.#drawPin();
        return;
      case "mod.timeout":
      case "mod.ban":
      case "mod.unban":
        this.#system(ev);
        return;
      case "poll.open":
        this.polls.set(d.id, { id: d.id, seq: ev.seq, t: ev.t, question: d.question, options: d.options, counts: d.options.map(() => 0), closed: false });
        this.#drawPolls();
        this.onNews?.();
        return;
      case "poll.vote": {
        const p = this.polls.get(d.poll);
        if (p && d.option < p.counts.length) p.counts[d.option] += 1;
        if (d.user === this.client.me.user) this.client.votes.set(d.poll, d.option);
        this.#drawPolls();
        return;
      }
      case "poll.close": {
        const p = this.polls.get(d.poll);
        if (p) p.closed = true;
        this.#drawPolls();
        return;
      }
      default:
    }
  }

  // ── messages ─────────────────────────────────────────────────────────────────────────────

  #add(m) {
    if (this.messages.has(m.id)) return;
    this.names.set(m.user, m.name);
    const body = el("div", { class: "msg-text" });
    body.append(render(m.text ?? ""));
    const reply = m.reply_to ? this.messages.get(m.reply_to) : null;
    const node = el(
      "li",
      { class: `msg${m.role === "streamer" ? " from-streamer" : ""}`, "data-id": m.id, "data-user": m.user },
      reply ? el("div", { class: "msg-reply" }, "↪ ", nameTag(reply.name, reply.role), " ", el("span", { text: snippet(reply.text) })) : null,
      el("div", { class: "msg-head" }, nameTag(m.name, m.role), el("time", { class: "msg-time", text: clock(m.t ?? 0) })),
      body,
      this.#menu(m),
    );
    if (m.mentions?.some((n) => n.toLowerCase() === (this.client.me.name ?? "").toLowerCase())) {
      node.classList.add("mentions-me");
    }
    this.messages.set(m.id, { ...m, node });
    this.log.append(node);
    while (this.messages.size > MAX_MESSAGES) {
      const [oldest] = this.messages.keys();
      this.#remove(oldest);
    }
  }

  #remove(id) {
    const m = this.messages.get(id);
    if (!m) return;
    m.node.remove();
    this.messages.delete(id);
    if (this.pinned === id) {
      this.pinned = null;
      this.#drawPin();
    }
  }

  #system(ev) {
    const d = ev.data;
    const who = this.names.get(d.user) ?? "a viewer";
    const text = {
      "mod.timeout": `${who} was timed out for ${d.minutes ?? 10} minutes`,
      "mod.ban": `${who} was banned`,
      "mod.unban": `${who} may chat again`,
    }[ev.kind];
    this.log.append(el("li", { class: "msg system", text }));
    this.#scroll();
  }

  #menu(m) {
    const c = this.client;
    const mine = c.me.user && m.user === c.me.user;
    const staffTarget = m.role === "streamer" || m.role === "mod";
    const act = (path, body) => c.act(path, body).catch((err) => this.#error(err.message));
    const buttons = [];
    if (c.canWrite) buttons.push(el("button", { type: "button", class: "msg-act", text: "Reply", onclick: () => this.#reply(m) }));
    if (mine || c.staff) buttons.push(el("button", { type: "button", class: "msg-act", text: "Delete", "data-act": "delete", onclick: () => act(`/messages/${m.id}/delete`, {}) }));
    if (c.staff) {
      buttons.push(el("button", { type: "button", class: "msg-act", text: "Pin", onclick: () => act(`/messages/${m.id}/pin`, { pinned: true }) }));
      if (!staffTarget && !mine) {
        buttons.push(el("button", { type: "button", class: "msg-act", text: "Timeout", onclick: () => act("/mod/timeout", { user: m.user, minutes: 10 }) }));
        buttons.push(el("button", { type: "button", class: "msg-act danger", text: "Ban", onclick: () => act("/mod/ban", { user: m.user }) }));
      }
    }
    return buttons.length ? el("div", { class: "msg-menu" }, ...buttons) : null;
  }

  #reply(m) {
    this.replyTo = m;
    this.#drawComposer();
    this.compose.querySelector("textarea")?.focus();
  }

  #drawPin() {
    const m = this.pinned ? this.messages.get(this.pinned) : null;
    this.pinBar.hidden = !m;
    this.pinBar.replaceChildren();
    if (!m) return;
    const text = el("div", { class: "msg-text" });
    text.append(render(m.text ?? ""));
    this.pinBar.append(
      el("div", { class: "pin-head" }, el("span", { class: "pin-label", text: "Pinned" }), nameTag(m.name, m.role),
        this.client.staff ? el("button", { type: "button", class: "msg-act", text: "Unpin", onclick: () => this.client.act(`/messages/${m.id}/pin`, { pinned: false }).catch((e) => this.#error(e.message)) }) : null),
      text,
    );
  }

  #drawPolls() {
    this.pollBox.replaceChildren();
    for (const p of [...this.polls.values()].reverse().slice(0, 2)) {
      const total = p.counts.reduce((a, b) => a + b, 0);
      const mine = this.client.votes.get(p.id);
      const canVote = !p.closed && mine === undefined && this.client.canWrite;
      const options = p.options.map((label, i) => {
        const share = total ? Math.round((100 * p.counts[i]) / total) : 0;
        return el(
          "button",
          {
            type: "button",
            class: `poll-option${mine === i ? " chosen" : ""}`,
            disabled: !canVote,
            style: `--share: ${share}%`,
            onclick: () => this.client.act(`/polls/${p.id}/vote`, { option: i }).then(() => {
              this.client.votes.set(p.id, i);
              this.#drawPolls();
            }).catch((e) => this.#error(e.message)),
          },
          el("span", { class: "poll-label", text: label }),
          el("span", { class: "poll-count", text: `${p.counts[i]} · ${share}%` }),
        );
      });
      this.pollBox.append(
        el("div", { class: `poll${p.closed ? " closed" : ""}`, "data-poll": p.id },
          el("div", { class: "poll-q" }, el("span", { class: "poll-tag", text: p.closed ? "Poll closed" : "Poll" }), el("span", { text: p.question })),
          ...options,
          this.client.staff && !p.closed ? el("button", { type: "button", class: "msg-act", text: "Close poll", onclick: () => this.client.act(`/polls/${p.id}/close`, {}).catch((e) => this.#error(e.message)) }) : null,
        ),
      );
    }
  }

  // ── the composer ─────────────────────────────────────────────────────────────────────────

  #drawComposer() {
    const c = this.client;
    this.compose.replaceChildren();
    if (!this.player.stream.live && !c.rules.live) {
      this.compose.append(el("p", { class: "compose-note", text: "Chat replays with the stream; it is closed now." }));
      return;
    }
    if (!c.canWrite) {
      this.compose.append(nameGate(c, () => this.#drawComposer()));
      return;
    }
    const box = el("textarea", { class: "compose-text", rows: 2, maxlength: c.rules.max_length, placeholder: "Say something…", "aria-label": "Chat message" });
    const error = el("p", { class: "form-error", role: "alert" });
    this.error = error;
    const form = el(
      "form",
      { class: "compose" },
      this.replyTo ? el("div", { class: "compose-reply" }, "Replying to ", nameTag(this.replyTo.name, this.replyTo.role),
        el("button", { type: "button", class: "msg-act", text: "×", "aria-label": "Cancel reply", onclick: () => { this.replyTo = null; this.#drawComposer(); } })) : null,
      box,
      el("div", { class: "compose-row" },
        el("span", { class: "compose-as" }, "as ", nameTag(c.me.name, c.me.role)),
        c.rules.slow_seconds ? el("span", { class: "compose-rule", text: `slow mode: ${c.rules.slow_seconds} s` }) : null,
        el("button", { type: "submit", class: "btn", text: "Send" })),
      error,
    );
    box.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        form.requestSubmit();
      }
      e.stopPropagation(); // the player's shortcuts must not fire while typing
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const text = box.value;
      if (!text.trim()) return;
      error.textContent = "";
      try {
        await c.act("/chat", { text, reply_to: this.replyTo?.id ?? null });
        box.value = "";
        this.replyTo = null;
        if (this.compose.querySelector(".compose-reply")) this.#drawComposer();
      } catch (err) {
        error.textContent = err.message;
      }
    });
    this.compose.append(form);
  }

  #error(message) {
    if (this.error) this.error.textContent = message;
  }

  #scroll() {
    if (this.stick) this.log.scrollTop = this.log.scrollHeight;
  }
}

function snippet(text) {
  const s = String(text ?? "").replace(/\s+/g, " ");
  return s.length > 60 ? s.slice(0, 59) + "…" : s;
}
