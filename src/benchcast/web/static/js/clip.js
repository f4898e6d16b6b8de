/**
 * Clips: a viewer (or the streamer) marks a range of the stream and gets a link that plays
 * just that range, chat included (POST /api/streams/{id}/clips; /clip/{id} opens the stream
 * page at the clip's start with ?clip=ID).
 *
 * The ✂ button in the control bar marks the start at the position, then the end; playing a
 * clip stops at its end, and a bar above the controls says which clip this is.
 */

import { clock } from "./format.js";

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class Clips {
  constructor({ root, player, streamId }) {
    this.player = player;
    this.streamId = streamId;
    this.start = null;
    this.clip = null;
    this.bar = el("div", "clip-bar");
    this.bar.hidden = true;
    const controls = root.querySelector("[data-controls]");
    controls.parentElement.insertBefore(this.bar, controls);
    this.button = el("button", "ctl ctl-clip", "✂");
    this.button.type = "button";
    this.button.title = "Clip: mark where it starts";
    this.button.setAttribute("aria-label", "Clip: mark where it starts");
    this.button.dataset.clip = "";
    this.button.addEventListener("click", () => this.mark());
    controls.insertBefore(this.button, controls.querySelector("[data-help]"));
    player.addEventListener("tick", () => this.#stopAtEnd());
  }

  /** First call: the clip starts here; second: it ends here, and the clip is made. */
  async mark() {
    const t = this.player.position();
    if (this.start === null) {
      this.start = t;
      this.button.classList.add("is-marking");
      this.button.title = `Clip from ${clock(t)}: mark where it ends`;
      this.#say(`Clip from ${clock(t)} — press ✂ again where it should end.`, null, () => this.#cancel());
      return null;
    }
    let [a, b] = [this.start, t];
    if (b < a) [a, b] = [b, a];
    if (b - a < 1) b = a + 30; // a double click: half a minute
    this.#cancel();
    try {
      const res = await fetch(`/api/streams/${encodeURIComponent(this.streamId)}/clips`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ start: a, end: b }),
      });
      const body = await res.json();
      if (!res.ok) throw new Error(body.error ?? res.statusText);
      this.made = body;
      navigator.clipboard?.writeText(body.link).catch(() => {});
      this.#say(`Clip ${clock(body.start)}–${clock(body.end)}: `, body.link);
      return body;
    } catch (err) {
      this.#say(`Could not make the clip: ${err.message}`);
      return null;
    }
  }

  /** Play just this clip ({id, start, end, title}), stopping at its end. */
  async play(clipId) {
    const res = await fetch(`/api/clips/${encodeURIComponent(clipId)}`, { headers: { Accept: "application/json" } });
    if (!res.ok) return;
    this.clip = await res.json();
    const c = this.clip;
    this.#say(`Clip “${c.title}” ${clock(c.start)}–${clock(c.end)} · `, null, null, true);
    const whole = el("a", "clip-whole", "watch the whole stream");
    whole.href = `/s/${encodeURIComponent(this.streamId)}?t=${c.start}`;
    this.bar.querySelector(".clip-text").append(whole);
    if (Math.abs(this.player.position() - c.start) > 0.5) await this.player.seek(c.start, { play: false });
  }

  #stopAtEnd() {
    const c = this.clip;
    if (!c || !this.player.playing) return;
    if (this.player.position() >= c.end) {
      this.player.pause();
      this.player.seek(c.end, { play: false });
    }
  }

  #cancel() {
    this.start = null;
    this.button.classList.remove("is-marking");
    this.button.title = "Clip: mark where it starts";
    this.bar.hidden = true;
  }

  #say(text, link = null, onCancel = null, keep = false) {
    this.bar.replaceChildren();
    const span = el("span", "clip-text", text);
    if (link) {
      const a = el("a", "clip-link", link);
      a.href = link;
      span.append(a);
    }
    this.bar.append(span);
    if (onCancel) {
      const x = el("button", "clip-cancel", "Cancel");
      x.type = "button";
      x.addEventListener("click", onCancel);
      this.bar.append(x);
    } else if (!keep) {
      const x = el("button", "clip-cancel", "×");
      x.type = "button";
      x.setAttribute("aria-label", "Dismiss");
      x.addEventListener("click", () => (this.bar.hidden = true));
      this.bar.append(x);
    }
    this.bar.hidden = false;
  }
}
