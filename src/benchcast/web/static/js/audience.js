/**
 * The audience on the stream page: the client for the audience API (server/audience/routes.py)
 * and the side panels that use it — chat (with polls), questions, and reports (anchored bug
 * reports, ideas and questions).
 *
 * Panels are player panels (reset(state) / apply(event)): what they show is the fold of the
 * log at the player's position, live or in replay, so chat history replays in step with the
 * archive. Writing goes through the JSON API with the session's CSRF token; the events it
 * makes come back through the player like everyone else's.
 *
 * Other panels open the report composer with an anchor by dispatching on `document`:
 *
 *   document.dispatchEvent(new CustomEvent("benchcast:report",
 *     { detail: { anchor: { file: "train.py", line: 42, text: "…" }, kind: "bug" } }));
 */

import { ChatPanel } from "./chat.js";
import { QuestionsPanel } from "./questions.js";
import { ReportsPanel } from "./reports.js";

export { anchorLabel, el, nameTag } from "./ui.js";

export class AudienceClient extends EventTarget {
  constructor(streamId) {
    super();
    this.streamId = streamId;
    this.me = { user: null, name: null, kind: "anonymous", role: null, csrf: "" };
    this.votes = new Map();
    this.rules = { accounts_only: false, slow_seconds: 0, max_length: 500, live: false };
  }

  get canWrite() {
    return this.me.kind !== "anonymous";
  }

  get staff() {
    return this.me.role === "streamer" || this.me.role === "mod";
  }

  async load() {
    const res = await fetch(`/api/streams/${encodeURIComponent(this.streamId)}/audience`, {
      headers: { Accept: "application/json" },
    });
    if (!res.ok) return;
    const body = await res.json();
    this.me = body.me;
    this.votes = new Map(Object.entries(body.votes ?? {}));
    this.rules = body.chat;
    this.#changed();
  }

  async #post(url, body) {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRF-Token": this.me.csrf,
      },
      body: JSON.stringify(body ?? {}),
    });
    let out = null;
    try {
      out = await res.json();
    } catch {
      // fall through: the status says what happened
    }
    if (!res.ok) {
      const err = new Error(out?.error ?? `${res.status} ${res.statusText}`);
      err.status = res.status;
      throw err;
    }
    return out;
  }

  /** Pick (or change) a guest name. */
  async guest(name) {
    await this.#post("/api/session/guest", { name });
    await this.load();
  }

  /** POST an action under /api/streams/{id} (path like "/chat" or "/questions/q1/vote"). */
  act(path, body) {
    return this.#post(`/api/streams/${encodeURIComponent(this.streamId)}${path}`, body);
  }

  #changed() {
    this.dispatchEvent(new Event("change"));
  }
}

/**
 * Build the audience panels, add them to the layout's side column and to the player's panels.
 * @returns {{client, chat, questions, reports}}
 */
export function mountAudience({ stream, player, layout, panels, deck }) {
  const client = new AudienceClient(stream.id);
  const chat = new ChatPanel(client, player);
  const questions = new QuestionsPanel(client, player);
  const reports = new ReportsPanel(client, player, { deck, layout });
  for (const [id, title, panel] of [
    ["chat", "Chat", chat],
    ["questions", "Q&A", questions],
    ["reports", "Reports", reports],
  ]) {
    layout.addSide({ id, title, element: panel.element });
    panels.push(panel);
    panel.onNews = () => layout.flag(id);
  }
  client.load().catch(() => {});
  document.addEventListener("benchcast:report", (e) => {
    layout.show("reports");
    reports.report(e.detail ?? {});
  });
  return { client, chat, questions, reports };
}
