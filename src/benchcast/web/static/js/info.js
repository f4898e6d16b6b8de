/**
 * The stream's header: LIVE badge, viewer count, title and tags, kept current from the player
 * (hello and viewers messages, the end of the stream, stream.start events).
 */

import { viewers } from "./format.js";

export class StreamInfo {
  constructor(root, player) {
    this.player = player;
    this.badge = root.querySelector("[data-live-badge]");
    this.past = root.querySelector("[data-past-badge]");
    this.count = root.querySelector("[data-viewers]");
    this.title = root.querySelector("[data-title]");
    player.addEventListener("change", () => this.render());
    this.render();
  }

  /** stream.start carries the title and tags; a resumed stream may change them. */
  apply(ev) {
    if (ev.kind !== "stream.start") return;
    if (ev.data.title && this.title) {
      this.title.textContent = ev.data.title;
      document.title = `${ev.data.title} · Benchcast`;
    }
  }

  render() {
    const live = !!this.player.stream.live;
    if (this.badge) this.badge.hidden = !live;
    if (this.past) this.past.hidden = live;
    if (this.count) {
      const n = this.player.viewers;
      this.count.hidden = !live || n === null;
      if (n !== null) this.count.querySelector("span").textContent = viewers(n);
    }
  }
}
