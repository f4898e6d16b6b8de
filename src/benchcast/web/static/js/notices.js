/**
 * The notices panel: what the viewer should know happened that the terminal cannot say —
 * output the publisher did not send (term.dropped), secrets hidden (redacted), the streamer
 * going off air, the end of the stream — and the player's own errors.
 *
 * Notices follow the log like every panel: a seek rebuilds them from the events applied,
 * so replaying past a drop shows the drop at the moment it happened.
 */

import { bytes, clock } from "./format.js";

const KEEP = 4; // most recent notices shown; older ones are dropped from view

export class Notices {
  constructor(el, offAir) {
    this.el = el;
    this.offAir = offAir;
  }

  /** A jump: notices are of events seen since, so start over (the badge says if it ended). */
  reset(state) {
    this.el.replaceChildren();
    this._air(state?.air ?? "on");
  }

  apply(ev) {
    switch (ev.kind) {
      case "term.dropped": {
        const d = ev.data;
        this._add("warn", `${bytes(d.bytes)} of output not sent: ${d.reason}`, ev.t);
        break;
      }
      case "redacted": {
        const d = ev.data;
        const what = d.count === 1 ? "1 secret" : `${d.count} secrets`;
        const rules = d.rules?.length ? ` (${d.rules.join(", ")})` : "";
        this._add("info", `${what} hidden before leaving the streamer's machine${rules}`, ev.t);
        break;
      }
      case "air":
        this._air(ev.data.state);
        break;
      case "stream.end":
        this._add("end", "Stream ended.", ev.t);
        break;
      default:
        break;
    }
  }

  /** A notice from the player itself (a failed request, say), not from the log. */
  error(message) {
    this._add("error", message, null);
  }

  _air(state) {
    if (this.offAir) this.offAir.hidden = state !== "paused";
  }

  _add(kind, text, t) {
    const item = document.createElement("div");
    item.className = `notice notice-${kind}`;
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    const msg = document.createElement("span");
    msg.className = "notice-text";
    msg.textContent = text;
    item.append(msg);
    if (t !== null && t !== undefined) {
      const when = document.createElement("span");
      when.className = "notice-time";
      when.textContent = clock(t);
      item.append(when);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.className = "notice-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", () => item.remove());
    item.append(close);
    this.el.append(item);
    while (this.el.children.length > KEEP) this.el.firstElementChild.remove();
  }
}
