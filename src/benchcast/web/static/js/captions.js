/**
 * What the streamer said (`transcript` events, from `benchcast transcribe`): captions over the
 * player, and a Transcript side panel with every segment so far (each one's time seeks to
 * the moment it was said).
 *
 * Both are player panels, so captions follow the player's clock, live or in replay: a
 * segment is shown from the moment its event is applied (a little after it was said:
 * transcribing takes time) for as long as it was spoken, at least HOLD_MIN seconds, or
 * until the next one. reset(state) reads the fold's `transcript` (replay/transcript.py).
 */

import { clock, el } from "./ui.js";

/** Seconds a caption stays up at least, and at most. */
const HOLD_MIN = 3;
const HOLD_MAX = 10;
/** Segments the transcript panel keeps; older ones leave from the top. */
const KEEP = 500;

function hold(seg) {
  return Math.min(HOLD_MAX, Math.max(HOLD_MIN, seg.end - seg.start + 1));
}

export class CaptionsPanel {
  /** @param {{host: HTMLElement, player}} opts  host: the element the captions sit over */
  constructor({ host, player }) {
    this.player = player;
    this.current = null; // {t, start, end, text}
    this.element = el("div", { class: "captions", role: "status", "aria-live": "polite", "data-captions": true, hidden: true });
    this.text = el("span", { class: "captions-text" });
    this.element.append(this.text);
    host.append(this.element);
    player.addEventListener("tick", () => this.#expire());
    // Live, the clock moves between events too.
    setInterval(() => this.#expire(), 500);
  }

  /** The caption shown now, or "" (for tests). */
  shown() {
    return this.element.hidden ? "" : this.text.textContent;
  }

  reset(state) {
    const last = (state?.transcript ?? []).at(-1);
    this.current = null;
    if (last && (state.t ?? last.t) - last.t < hold(last)) this.current = last;
    this.#draw();
  }

  apply(ev) {
    if (ev.kind !== "transcript") return;
    this.current = { t: ev.t, ...ev.data };
    this.#draw();
  }

  #expire() {
    if (this.current && this.player.position() - this.current.t > hold(this.current)) {
      this.current = null;
      this.#draw();
    }
  }

  #draw() {
    this.element.hidden = !this.current;
    this.text.textContent = this.current?.text ?? "";
  }
}

export class TranscriptPanel {
  constructor({ layout, player }) {
    this.layout = layout;
    this.player = player;
    this.added = false;
    this.list = el("ol", { class: "notes-list transcript-list" });
    this.element = el("section", { class: "panel notes-panel transcript-panel", "aria-label": "Transcript" }, this.list);
  }

  reset(state) {
    this.list.replaceChildren();
    for (const s of state?.transcript ?? []) this.#add(s);
  }

  apply(ev) {
    if (ev.kind !== "transcript") return;
    this.#add({ t: ev.t, ...ev.data });
    this.layout.flag("transcript");
  }

  /** Segments shown, oldest first, as {start, text} (for tests). */
  items() {
    return [...this.list.children].map((li) => ({ start: Number(li.dataset.start), text: li.dataset.text }));
  }

  #add(seg) {
    if (!this.added) {
      this.added = true;
      this.layout.addSide({ id: "transcript", title: "Transcript", element: this.element });
    }
    const when = el("button", { type: "button", class: "note-time", text: clock(seg.start), title: "Go to the moment it was said", onclick: () => this.player.seek(seg.start) });
    const li = el("li", { class: "note transcript-seg", "data-start": String(seg.start), "data-text": seg.text }, when, el("div", { class: "note-text", text: seg.text }));
    this.list.append(li);
    while (this.list.children.length > KEEP) this.list.firstElementChild.remove();
    this.element.scrollTop = this.element.scrollHeight;
  }
}
