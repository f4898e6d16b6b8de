/**
 * The viewer's media: the streamer's voice (and camera or screen, in a small resizable tile)
 * played with Media Source Extensions, on the player's clock.
 *
 * Every recording's timestamps are placed at the stream time it began (SourceBuffer
 * `timestampOffset` = the recording's t0), so the media element's currentTime *is* stream
 * time, the same clock as the panels:
 *
 *   live    the media socket (/ws/streams/{id}/media) sends the newest recording's init
 *           segment and then clusters from the latest one on; playback is held near the end
 *           of what is buffered (the lowest stable latency).
 *   replay  pieces come over HTTP (/api/streams/{id}/media/…) around the player's position;
 *           the media element follows the player: seeks with it, plays at its speed with
 *           the pitch kept (`preservesPitch`), pauses with it.
 *
 * While the voice covers a moment, the replay clock does not cut silences short
 * (player.keepTime), so nothing the streamer says is skipped.
 *
 * Browsers only autoplay muted: the voice starts muted, and the speaker button (or any
 * click on it) turns it on. `window.benchcast.media` exposes {audio, video, state()}.
 */

/** Seconds behind the newest buffered audio that live playback aims for. */
const LIVE_TARGET = 0.3;
/** Live playback further behind than this jumps forward. */
const LIVE_MAX = 1.0;
/** Replay: drift between the media element and the player's clock that triggers a seek. */
const DRIFT = 0.3;
/** Replay: seconds of media fetched ahead of the position. */
const AHEAD = 30;
/** Seconds of media kept behind the position (the rest is removed from the buffer). */
const BEHIND = 30;
const CODES = { 0: "audio", 1: "video" };
const FALLBACK_MIME = { audio: 'audio/webm;codecs="opus"', video: 'video/webm;codecs="vp8"' };

/** One media element fed through one SourceBuffer, by a queue of operations. */
class Sink {
  constructor(el, track) {
    this.el = el;
    this.track = track;
    this.ms = null;
    this.sb = null;
    this.ops = [];
    this.mime = null;
    this.opening = null;
    this.appended = 0;
  }

  /** Make sure there is a SourceBuffer for `mime` (a new MediaSource if the type changes). */
  open(mime) {
    mime = mimeFor(this.track, mime);
    // One MediaSource per type at a time: a second caller waits for the first's.
    if (this.opening && this.mime === mime) return this.opening;
    this.mime = mime;
    this.sb = null;
    this.ops = [];
    const ms = new MediaSource();
    this.ms = ms;
    this.el.src = URL.createObjectURL(ms);
    this.opening = new Promise((resolve) => ms.addEventListener("sourceopen", resolve, { once: true })).then(
      () => {
        if (this.ms !== ms) return;
        this.sb = ms.addSourceBuffer(mime);
        this.sb.mode = "segments";
        this.sb.addEventListener("updateend", () => this.#next());
        this.sb.addEventListener("error", () => this.#next());
        this.#next();
      },
    );
    return this.opening;
  }

  /** Start a recording placed at stream time t0 (its init segment is appended next). */
  epoch(t0) {
    this.ops.push({ offset: t0 });
    this.#next();
  }

  append(data) {
    this.ops.push({ data });
    this.#next();
  }

  /** Drop everything buffered and queued (a jump elsewhere). */
  clear() {
    this.ops = [{ clear: true }];
    if (this.sb?.updating) this.sb.abort();
    this.#next();
  }

  buffered() {
    const b = this.sb?.buffered;
    if (!b || !b.length) return null;
    return { start: b.start(0), end: b.end(b.length - 1), ranges: b };
  }

  has(t) {
    const b = this.sb?.buffered;
    if (!b) return false;
    for (let i = 0; i < b.length; i++) if (b.start(i) <= t + 0.05 && t < b.end(i)) return true;
    return false;
  }

  /** Forget media far behind `t` (MSE has a memory quota). */
  trim(t) {
    const b = this.buffered();
    if (b && b.start < t - BEHIND - 5 && !this.ops.some((op) => op.remove)) {
      this.ops.push({ remove: [0, t - BEHIND] });
    }
    this.#next();
  }

  #next() {
    const sb = this.sb;
    if (!sb || sb.updating || this.ms.readyState !== "open") return;
    while (this.ops.length) {
      const op = this.ops.shift();
      try {
        if (op.offset !== undefined) {
          // A new recording: end the parser's current segment (a cluster of unknown size
          // that was cut off is never finished), then place it at its stream time.
          sb.abort();
          sb.timestampOffset = op.offset;
          continue;
        }
        if (op.clear) {
          if (sb.buffered.length) {
            sb.remove(0, Infinity);
            return;
          }
          continue;
        }
        if (op.remove) {
          sb.remove(op.remove[0], op.remove[1]);
          return;
        }
        sb.appendBuffer(op.data);
        this.appended += op.data.byteLength;
        return;
      } catch (err) {
        if (err.name === "QuotaExceededError" && op.data) {
          // Full: forget what is behind the playhead, then try this append again.
          this.ops.unshift(op);
          const t = this.el.currentTime;
          if (t > 1) sb.remove(0, t - 1);
          return;
        }
        console.warn(`media: ${err.message}`);
      }
    }
  }
}

function mimeFor(track, mime) {
  const m = mime && /codecs=/.test(mime) ? mime : FALLBACK_MIME[track];
  return window.MediaSource?.isTypeSupported(m) ? m : FALLBACK_MIME[track];
}

export class MediaPanel {
  /**
   * @param {{root: HTMLElement, player: import("./player.js").Player, stream: object}} opts
   */
  constructor({ root, player, stream }) {
    this.player = player;
    this.streamId = stream.id;
    this.index = null; // GET /api/streams/{id}/media
    this.ws = null;
    this.air = "on";
    this.audio = Object.assign(document.createElement("audio"), { muted: true, preload: "auto" });
    this.audio.preservesPitch = true;
    this.audio.hidden = true;
    this.video = Object.assign(document.createElement("video"), { muted: true, playsInline: true });
    this.tile = document.createElement("div");
    this.tile.className = "media-tile";
    this.tile.hidden = true;
    this.tile.setAttribute("aria-label", "The streamer's picture (drag the corner to resize)");
    this.tile.append(this.video);
    root.querySelector("[data-stage]").append(this.tile, this.audio);
    this.sinks = { audio: new Sink(this.audio, "audio"), video: new Sink(this.video, "video") };
    this.replay = { audio: null, video: null }; // {epoch, last, done, loading}
    this.lastPos = null;
    this.indexAt = 0;
    this.retryAt = 0;
    this.#controls(root.querySelector("[data-controls]"));
    if (!window.MediaSource) {
      this.note.textContent = "no audio in this browser";
      return;
    }
    player.keepTime = (t) => this.covers(t);
    player.addEventListener("change", () => this.#follow());
    player.addEventListener("tick", () => this.#follow());
    this.timer = setInterval(() => this.#follow(), 250);
    this.#start();
  }

  #controls(bar) {
    const wrap = document.createElement("span");
    wrap.className = "media-ctl";
    wrap.hidden = true;
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "ctl is-off";
    btn.dataset.audio = "";
    btn.setAttribute("aria-label", "Listen to the streamer (m)");
    btn.title = "Listen to the streamer (m)";
    btn.innerHTML =
      '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 9v6h4l5 4V5L8 9H4z"/><path class="wave" d="M16 8.5a5 5 0 0 1 0 7M18.5 6a8.5 8.5 0 0 1 0 12" fill="none" stroke="currentColor" stroke-width="1.8"/><path class="mute-x" d="M16 9l6 6M22 9l-6 6" fill="none" stroke="currentColor" stroke-width="1.8"/></svg>';
    const vol = Object.assign(document.createElement("input"), { type: "range", min: 0, max: 1, step: 0.05, value: 1 });
    vol.setAttribute("aria-label", "Volume");
    vol.dataset.volume = "";
    const note = document.createElement("span");
    note.className = "media-note";
    note.textContent = "voice muted";
    wrap.append(btn, vol, note);
    bar.insertBefore(wrap, bar.querySelector("[data-help]"));
    btn.addEventListener("click", () => this.setMuted(!this.audio.muted));
    vol.addEventListener("input", () => {
      this.audio.volume = Number(vol.value);
      if (this.audio.muted && this.audio.volume > 0) this.setMuted(false);
    });
    window.addEventListener("keydown", (e) => {
      if (e.key === "m" && !e.ctrlKey && !e.metaKey && !e.altKey && !/INPUT|TEXTAREA|SELECT/.test(e.target.tagName)) {
        this.setMuted(!this.audio.muted);
      }
    });
    this.wrap = wrap;
    this.button = btn;
    this.note = note;
  }

  setMuted(muted) {
    this.audio.muted = muted;
    this.button.classList.toggle("is-off", muted);
    this.button.setAttribute("aria-pressed", String(!muted));
    this.#label();
    if (!muted) this.audio.play().catch(() => {});
  }

  #label() {
    this.note.textContent =
      this.air !== "on" && this.player.mode === "live" ? "paused" : this.audio.muted ? "voice muted" : "voice on";
  }

  /** Whether the voice covers stream time t (a recording was running then). */
  covers(t) {
    const eps = this.index?.tracks?.audio ?? [];
    return eps.some((e) => e.t0 - 0.5 <= t && t <= e.end + 1);
  }

  state() {
    const b = this.sinks.audio.buffered();
    return {
      mode: this.player.mode,
      currentTime: this.audio.currentTime,
      paused: this.audio.paused,
      muted: this.audio.muted,
      playbackRate: this.audio.playbackRate,
      preservesPitch: this.audio.preservesPitch,
      buffered: b ? { start: b.start, end: b.end } : null,
      appended: this.sinks.audio.appended,
      sourceBuffers: this.sinks.audio.ms ? this.sinks.audio.ms.sourceBuffers.length : 0,
      video: !this.tile.hidden,
      air: this.air,
    };
  }

  async #start() {
    await this.#refreshIndex();
    this.#follow();
  }

  async #refreshIndex() {
    this.indexAt = performance.now();
    try {
      const res = await fetch(`/api/streams/${encodeURIComponent(this.streamId)}/media`);
      if (res.ok) this.index = await res.json();
    } catch {
      /* the next follow() tries again */
    }
    const has = Object.keys(this.index?.tracks ?? {}).length > 0;
    if (has || this.player.stream.live) this.wrap.hidden = false;
  }

  /** Keep the media on the player's clock (called on every tick and change). */
  #follow() {
    const p = this.player;
    if (p.mode === "live" && p.stream.live) {
      this.#live();
    } else {
      if (this.ws) this.#closeLive();
      this.#replay();
    }
    this.#label();
  }

  // ── live ──────────────────────────────────────────────────────────────────────────────────

  #live() {
    if (!this.ws && !(performance.now() < this.retryAt)) this.#openLive();
    for (const [track, sink] of Object.entries(this.sinks)) {
      const b = sink.buffered();
      if (!b) continue;
      const el = sink.el;
      // Hold near the newest audio: jump when too far behind or outside what is buffered.
      if (b.end - el.currentTime > LIVE_MAX || !sink.has(el.currentTime)) {
        el.currentTime = Math.max(b.start, b.end - LIVE_TARGET);
      }
      el.playbackRate = 1;
      if (el.paused) el.play().catch(() => {});
      if (track === "audio") sink.trim(el.currentTime);
    }
  }

  #openLive() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/ws/streams/${encodeURIComponent(this.streamId)}/media`);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    for (const r of Object.keys(this.replay)) this.replay[r] = null;
    this.sinks.audio.clear();
    this.sinks.video.clear();
    let chain = Promise.resolve();
    ws.onmessage = (e) => {
      // In order: opening a SourceBuffer is asynchronous, appends must wait for it.
      chain = chain.then(() => this.#onLive(e.data)).catch((err) => console.warn(`media: ${err.message}`));
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null; // the next follow() reconnects, after a pause
      this.retryAt = performance.now() + 2000;
    };
  }

  async #onLive(data) {
    if (typeof data === "string") {
      const msg = JSON.parse(data);
      if (msg.type === "epoch") {
        const sink = this.sinks[msg.track];
        await sink.open(msg.mime);
        sink.epoch(msg.t0);
        if (msg.track === "video") this.tile.hidden = false;
        this.wrap.hidden = false;
        this.#refreshIndex();
      } else if (msg.type === "hello" || msg.type === "air") {
        this.air = msg.air ?? msg.state;
      }
      return;
    }
    const bytes = new Uint8Array(data);
    const sink = this.sinks[CODES[bytes[0]]];
    if (sink?.sb) sink.append(bytes.subarray(1));
  }

  #closeLive() {
    const ws = this.ws;
    this.ws = null;
    ws.close(1000, "replay");
  }

  // ── replay ────────────────────────────────────────────────────────────────────────────────

  #replay() {
    const p = this.player;
    if (!this.indexAt || (p.stream.live && performance.now() - this.indexAt > 3000)) this.#refreshIndex();
    const pos = p.position();
    const jumped = this.lastPos === null || Math.abs(pos - this.lastPos) > 2;
    this.lastPos = pos;
    for (const [track, sink] of Object.entries(this.sinks)) {
      const eps = this.index?.tracks?.[track] ?? [];
      const el = sink.el;
      if (!eps.length) continue;
      const ep = eps.find((e) => e.t0 - 0.5 <= pos && pos <= e.end + 1);
      const st = this.replay[track];
      if (!ep) {
        if (!el.paused) el.pause();
        if (track === "video") this.tile.hidden = true;
        continue;
      }
      if (track === "video") this.tile.hidden = false;
      if (!st || st.epoch !== ep.epoch || (jumped && !sink.has(pos))) {
        this.#load(track, ep, pos);
        continue;
      }
      if (!st.loading && !st.done) {
        const b = sink.buffered();
        if (!b || b.end - pos < AHEAD / 2) this.#more(track, ep, pos);
      }
      if (Math.abs(el.currentTime - pos) > DRIFT && sink.has(pos)) el.currentTime = pos;
      el.playbackRate = p.speed;
      el.preservesPitch = true;
      const playing = p.playing && !p.busy && sink.has(pos);
      if (playing && el.paused) el.play().catch(() => {});
      if (!playing && !el.paused) el.pause();
      if (!playing && Math.abs(el.currentTime - pos) > 0.05 && sink.has(pos)) el.currentTime = pos;
      sink.trim(pos);
    }
  }

  /** Start recording `ep` of `track` at stream time `pos`: its init, then a cluster at or before pos. */
  async #load(track, ep, pos) {
    const st = { epoch: ep.epoch, last: 0, done: false, loading: true };
    this.replay[track] = st;
    const sink = this.sinks[track];
    const base = `/api/streams/${encodeURIComponent(this.streamId)}/media/${track}/${ep.epoch}`;
    try {
      const init = await fetch(`${base}/init`);
      if (!init.ok) throw new Error(`${init.status}`);
      const head = new Uint8Array(await init.arrayBuffer());
      const res = await fetch(`${base}/data?t=${Math.max(ep.t0, pos)}&until=${pos + AHEAD}`);
      if (!res.ok) throw new Error(`${res.status}`);
      const body = new Uint8Array(await res.arrayBuffer());
      if (this.replay[track] !== st) return;
      await sink.open(ep.mime);
      if (this.replay[track] !== st) return;
      sink.clear();
      sink.epoch(ep.t0);
      sink.append(head);
      if (body.length) sink.append(body);
      st.last = Number(res.headers.get("X-Media-Last"));
      st.done = res.headers.get("X-Media-Done") === "1" && !body.length;
    } catch (err) {
      console.warn(`media: could not load ${track} at ${pos}: ${err.message}`);
    } finally {
      st.loading = false;
    }
  }

  async #more(track, ep, pos) {
    const st = this.replay[track];
    st.loading = true;
    const base = `/api/streams/${encodeURIComponent(this.streamId)}/media/${track}/${ep.epoch}`;
    try {
      const res = await fetch(`${base}/data?after=${st.last}&until=${pos + AHEAD}`);
      if (!res.ok) throw new Error(`${res.status}`);
      const body = new Uint8Array(await res.arrayBuffer());
      if (this.replay[track] !== st) return;
      if (body.length) this.sinks[track].append(body);
      st.last = Number(res.headers.get("X-Media-Last"));
      if (res.headers.get("X-Media-Done") === "1") st.done = true;
    } catch (err) {
      console.warn(`media: ${err.message}`);
    } finally {
      st.loading = false;
    }
  }
}
