/**
 * The page of a static export (replay/static_html.py): the stream page's player and panels —
 * terminal, code, chapters, notes, "so far", chat — replaying the stream embedded in the
 * page, from file:// with no server. `window.benchcast` is as on the stream page.
 */

import { data } from "./api.js";
import { CatchUpPanel } from "./catchup.js";
import { ChapterPanel } from "./chapters.js";
import { CodePanel } from "./code.js";
import { Controls } from "./controls.js";
import { clock } from "./format.js";
import { StreamInfo } from "./info.js";
import { bindKeys } from "./keys.js";
import { Layout } from "./layout.js";
import { NotesPanel } from "./notes.js";
import { Notices } from "./notices.js";
import { Player } from "./player.js";
import { TerminalDeck } from "./terminal.js";

/** Chat as it was: messages in order, hidden ones removed. */
class ChatLog {
  constructor(layout) {
    this.element = document.createElement("section");
    this.element.className = "panel chat-panel static-chat";
    this.element.setAttribute("aria-label", "Chat");
    this.list = document.createElement("ol");
    this.list.className = "chat-log";
    this.element.append(this.list);
    layout.addSide({ id: "chat", title: "Chat", element: this.element });
  }

  reset(state) {
    this.list.replaceChildren();
    for (const m of state?.audience?.messages ?? []) this.#add(m.t ?? 0, m);
  }

  apply(ev) {
    if (ev.kind === "chat.message" && !ev.data.hidden) this.#add(ev.t, ev.data);
    else if (ev.kind === "chat.delete") this.list.querySelector(`[data-id="${CSS.escape(ev.data.id)}"]`)?.remove();
  }

  #add(t, m) {
    const li = document.createElement("li");
    li.className = "msg";
    li.dataset.id = m.id ?? "";
    const when = document.createElement("span");
    when.className = "msg-time";
    when.textContent = clock(t);
    const who = document.createElement("b");
    who.className = "who-name";
    who.textContent = `${m.name ?? "?"}: `;
    const text = document.createElement("span");
    text.className = "msg-text";
    text.textContent = m.text ?? "";
    li.append(when, " ", who, text);
    this.list.append(li);
    while (this.list.children.length > 500) this.list.firstElementChild.remove();
    this.list.scrollTop = this.list.scrollHeight;
  }
}

function main() {
  const root = document.querySelector("[data-watch]");
  const stream = data.stream;
  const playerEl = root.querySelector("[data-player]");
  const stage = root.querySelector("[data-stage]");
  stage.querySelector(".stage-empty").textContent = "No terminal open yet.";
  const deck = new TerminalDeck(stage);
  const layout = new Layout(root);
  layout.addEventListener("viewchange", (e) => {
    if (e.detail === "terminal") requestAnimationFrame(() => deck.fit());
  });
  const notices = new Notices(root.querySelector("[data-notices]"), root.querySelector("[data-off-air]"));
  const panels = [deck, notices];
  const player = new Player(stream, panels);
  panels.push(new StreamInfo(root, player));
  const code = new CodePanel({ layout, player, streamId: stream.id });
  panels.push(code);
  const chat = new ChatLog(layout);
  const chapters = new ChapterPanel({ root, player, layout, streamId: stream.id, load: async () => data.moments });
  const notes = new NotesPanel({ layout, player });
  const catchup = new CatchUpPanel({ layout, player, chapters });
  panels.push(chat, chapters, notes, catchup);
  const controls = new Controls(root.querySelector("[data-controls]"), player, { fullscreenTarget: playerEl });
  bindKeys(player, controls, { fullscreenTarget: playerEl });
  player.addEventListener("error", (e) => notices.error(e.detail));
  const at = Number(new URLSearchParams(location.search).get("t"));
  const ready = player.start(Number.isFinite(at) && at > 0 ? at : null);
  window.benchcast = {
    get term() {
      return deck.primary?.term ?? null;
    },
    player,
    layout,
    code,
    chat,
    chapters,
    notes,
    catchup,
    ready,
    state: () => player.state(),
    screenText(source = null) {
      const view = source ? deck.views.get(source) : deck.primary;
      return view ? view.screenText() : "";
    },
  };
}

main();
