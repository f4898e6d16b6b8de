/**
 * The notes panel: the streamer's narration (`benchcast note`, the studio's notes box, the
 * SDK), newest at the bottom, as markdown. A player panel: reset(state) shows the fold's
 * `notes` (the newest few before that moment), apply(ev) adds each `note` as it comes, so a
 * replay shows the notes written so far. Each note's time seeks there.
 */

import { clock } from "./format.js";
import { render } from "./markdown.js";

const KEEP = 200;

export class NotesPanel {
  constructor({ layout, player }) {
    this.player = player;
    this.layout = layout;
    this.element = document.createElement("section");
    this.element.className = "panel notes-panel";
    this.element.setAttribute("aria-label", "Notes");
    this.list = document.createElement("ol");
    this.list.className = "notes-list";
    this.empty = document.createElement("p");
    this.empty.className = "panel-empty";
    this.empty.textContent = "No notes yet. The streamer narrates here (`benchcast note \"…\"`).";
    this.element.append(this.list, this.empty);
    layout.addSide({ id: "notes", title: "Notes", element: this.element });
  }

  reset(state) {
    this.list.replaceChildren();
    for (const n of state?.notes ?? []) this.#add(n.t, n.text);
    this.empty.hidden = this.list.children.length > 0;
  }

  apply(ev) {
    if (ev.kind !== "note") return;
    this.#add(ev.t, ev.data.text);
    this.empty.hidden = true;
    this.layout.flag("notes");
  }

  /** The notes shown, oldest first, as {t, text} (the catch-up panel shows the last few). */
  items() {
    return [...this.list.children].map((li) => ({ t: Number(li.dataset.t), text: li.dataset.text }));
  }

  #add(t, text) {
    const li = document.createElement("li");
    li.className = "note";
    li.dataset.t = String(t);
    li.dataset.text = text;
    const when = document.createElement("button");
    when.type = "button";
    when.className = "note-time";
    when.textContent = clock(t);
    when.title = "Go to this moment";
    when.addEventListener("click", () => this.player.seek(t));
    const body = document.createElement("div");
    body.className = "note-text";
    body.append(render(text));
    li.append(when, body);
    this.list.append(li);
    while (this.list.children.length > KEEP) this.list.firstElementChild.remove();
    this.element.scrollTop = this.element.scrollHeight;
  }
}
