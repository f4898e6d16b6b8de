/**
 * The player's control bar: play/pause, time, seek bar, speed, "Go live", connection state,
 * full screen and the shortcuts card. It only reads `player.state()` and calls the player's
 * commands; it never touches the log or the network.
 */

import { clock } from "./format.js";
import { SPEEDS } from "./player.js";

export class Controls {
  constructor(root, player, { fullscreenTarget } = {}) {
    this.player = player;
    this.root = root;
    const $ = (sel) => root.querySelector(sel);
    this.playBtn = $("[data-play]");
    this.time = $(".time");
    this.pos = $("[data-pos]");
    this.dur = $("[data-dur]");
    this.seek = $("[data-seek]");
    this.speed = $("[data-speed]");
    this.live = $("[data-golive]");
    this.conn = $("[data-conn]");
    this.bigPlay = document.querySelector("[data-big-play]");
    this.help = document.querySelector("[data-help-panel]");
    this.dragging = false;

    this.speed.replaceChildren(
      ...SPEEDS.map((s) => {
        const o = document.createElement("option");
        o.value = String(s);
        o.textContent = `${s}×`;
        return o;
      }),
    );

    this.playBtn.addEventListener("click", () => player.toggle());
    this.bigPlay?.addEventListener("click", () => player.play());
    this.live.addEventListener("click", () => player.goLive());
    this.speed.addEventListener("change", () => player.setSpeed(Number(this.speed.value)));
    // While dragging, only the label follows the thumb; the seek happens on release.
    this.seek.addEventListener("input", () => {
      this.dragging = true;
      this.pos.textContent = clock(Number(this.seek.value));
      this._fill(Number(this.seek.value), Number(this.seek.max));
    });
    this.seek.addEventListener("change", () => {
      this.dragging = false;
      player.seek(Number(this.seek.value));
    });
    $("[data-help]")?.addEventListener("click", () => this.toggleHelp());
    const close = this.help?.querySelector("[data-help-close]");
    close?.addEventListener("click", () => this.toggleHelp(false));
    const fs = $("[data-fullscreen]");
    if (fs && fullscreenTarget?.requestFullscreen) {
      fs.addEventListener("click", () => this.toggleFullscreen(fullscreenTarget));
    } else if (fs) {
      fs.hidden = true;
    }

    player.addEventListener("change", () => this.render());
    player.addEventListener("tick", () => this.renderTime());
    // The live edge moves on between events; keep the clock reading right.
    setInterval(() => this.renderTime(), 500);
    this.render();
  }

  toggleHelp(show = null) {
    if (!this.help) return;
    this.help.hidden = show === null ? !this.help.hidden : !show;
  }

  toggleFullscreen(target) {
    if (document.fullscreenElement) document.exitFullscreen();
    else target.requestFullscreen().catch(() => {});
  }

  render() {
    const s = this.player.state();
    const playing = s.playing;
    this.playBtn.classList.toggle("is-playing", playing);
    this.playBtn.setAttribute("aria-label", playing ? "Pause (space)" : "Play (space)");
    this.playBtn.title = playing ? "Pause (space)" : "Play (space)";
    this.speed.value = String(s.speed);
    this.speed.disabled = s.live;

    this.live.hidden = !s.streamLive;
    this.live.classList.toggle("at-live", s.live);
    this.live.disabled = s.live;
    this.live.querySelector("span").textContent = s.live ? "LIVE" : "Go live";
    this.live.title = s.live ? "You are watching live" : "Jump to live (End)";

    const showConn = s.streamLive && s.connection !== "open" && s.connection !== "idle";
    this.conn.hidden = !showConn;
    if (showConn) {
      this.conn.textContent =
        s.connection === "waiting"
          ? `Reconnecting in ${Math.max(1, Math.round(this.player.retryIn))} s…`
          : s.connection === "gone"
            ? "Disconnected"
            : "Connecting…";
    }
    this.root.classList.toggle("is-busy", s.busy);
    if (this.bigPlay) {
      const atStart = s.t <= 0.05;
      const atEnd = !s.streamLive && s.t >= s.duration - 0.05;
      this.bigPlay.hidden = s.playing || s.busy || !(atStart || atEnd);
      this.bigPlay.classList.toggle("replay", atEnd && !atStart);
      // Dim the picture behind the big button: it is a still, not the stream playing.
      this.root.parentElement.classList.toggle("is-still", !this.bigPlay.hidden);
    }
    this.renderTime();
  }

  renderTime() {
    const s = this.player.state();
    const dur = Math.max(s.duration, 0);
    // Live, the position is the length: show it once, as time on air.
    this.time.classList.toggle("is-live", s.live);
    this.dur.textContent = clock(dur);
    if (this.dragging) return;
    this.pos.textContent = clock(s.t);
    this.seek.max = String(dur);
    this.seek.value = String(Math.min(s.t, dur));
    this.seek.setAttribute("aria-valuetext", `${clock(s.t)} of ${clock(dur)}`);
    this._fill(s.t, dur);
  }

  _fill(t, dur) {
    const pct = dur > 0 ? Math.min(100, (100 * t) / dur) : 0;
    this.seek.style.setProperty("--pct", `${pct}%`);
  }
}
