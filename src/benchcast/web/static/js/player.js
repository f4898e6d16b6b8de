/**
 * The player: where the viewer is in a stream's log, and the clock that moves them on.
 *
 * Live and replay are one code path with a different clock. Every event, whether it came
 * from the live socket or from the archive API, reaches the panels through `#apply`; every
 * jump (joining, seeking, going live) goes through `#reset` with a keyframe and then applies
 * the events after it. Only the clock differs:
 *
 *   live    the streamer's clock: events are applied as the socket delivers them.
 *   replay  a local clock: `position` advances at `speed` × real time, and silences longer
 *           than MAX_IDLE are cut short (asciinema's idle_time_limit), so a stream where the
 *           scientist went for coffee does not play ten minutes of nothing.
 *
 * A live stream can be rewound (DVR): that is replay mode while the socket stays open to
 * keep the live edge and the viewer count current. When replay catches up with what the
 * socket has seen, or the viewer asks to go live, the player switches back to live without
 * reconnecting.
 *
 * A delay (`{delay: seconds}`, `setDelay`) holds the panels that far behind the live edge, so
 * they line up with an external video that runs behind the stream (a Twitch or YouTube
 * broadcast of the same session): "live" then means the replay clock pinned to the live edge
 * minus the delay, fed by the same socket, and `state().live` is true while it is pinned.
 *
 * Panels are plain objects with any of: reset(state | null) for a keyframe's state (null: the
 * empty stream before its first event), apply(event), and they never talk to the network.
 * The player is an EventTarget: "change" when mode, playing, speed, stream or viewers change,
 * "tick" when the position moves, "error" with {detail: message}.
 */

import * as api from "./api.js";
import { LiveFeed } from "./feed.js";
import { clamp } from "./format.js";

export const SPEEDS = [1, 2, 4, 8, 16];
/** Seconds: the longest silence replay plays out; longer gaps are cut to this. */
export const MAX_IDLE = 2;
/** Events per archive request while playing. */
const PAGE = 1000;
/** Fetch the next page when fewer than this many events are buffered ahead. */
const LOW_WATER = 250;
/** Seconds: the longest step of the replay clock (rAF stops in hidden tabs). */
const MAX_STEP = 0.25;
/** Seconds: a seek closer than this to the live edge goes live instead. */
const LIVE_SLACK = 1.5;
/** Seconds before retrying a failed archive request while playing. */
const RETRY = 2;
/** Seconds: the longest delay behind live (events.MAX_VIDEO_OFFSET). */
export const MAX_DELAY = 600;
/** Socket events kept for a replay clock that has caught up; beyond it they are refetched. */
const MAX_HELD = 4 * PAGE;

export class Player extends EventTarget {
  /**
   * @param {object} stream  the stream's summary (server: Stream.summary()): id, live,
   *                         duration, events, title, tags
   * @param {object[]} panels
   * @param {{delay?: number}} options  delay: seconds the panels stay behind live
   */
  constructor(stream, panels, { delay = 0 } = {}) {
    super();
    this.stream = { ...stream };
    this.panels = panels;
    /** Last applied seq and its stream time: what the panels show. */
    this.seq = 0;
    this.t = 0;
    this.delay = clamp(Number(delay) || 0, 0, MAX_DELAY);
    /** Pinned to the live edge minus the delay (replay mode, shown as live). */
    this._lagLive = false;
    // With a delay, the socket's keyframe is too new to show: start from the archive.
    this.mode = stream.live && this.delay === 0 ? "live" : "replay";
    this.playing = false;
    this.speed = 1;
    this.viewers = stream.viewers ?? null;
    /** "idle" | "connecting" | "open" | "waiting" | "gone": the live socket's state. */
    this.connection = "idle";
    this.retryIn = 0;
    this.busy = false; // a seek is loading
    this.poster = false; // showing the last picture before the first play (see start())
    this.feed = null;

    // The newest event known to exist, and when we learnt of it (for the live edge).
    this._head = { seq: stream.events ?? 0, t: stream.duration ?? 0, at: performance.now() };
    // Replay clock and its buffer of fetched, not yet applied events.
    this._pos = 0;
    this._idleFrom = 0;
    this._queue = [];
    this._qi = 0;
    this._fetching = null;
    this._retryAt = 0;
    this._last = 0;
    this._raf = 0;
    /** (t) => true when stream time t must not be cut as idle (media.js: the voice). */
    this.keepTime = null;
    // Bumped by every jump; async work started under an older value is discarded.
    this._gen = 0;
  }

  // ── starting ─────────────────────────────────────────────────────────────────────────────

  /**
   * Begin: a live stream joins the socket (and, with `at`, rewinds to it once joined); a past
   * stream loads time `at` and waits for play. Without `at`, a past stream shows its last
   * picture as a poster, at position 0: play starts from the beginning.
   *
   * Resolves once there is a first picture: the socket said hello (its keyframe follows in
   * the same breath), or the archive answered.
   */
  async start(at = null) {
    if (this.stream.live) {
      this.feed = new LiveFeed(this.stream.id, {
        hello: (msg, joined) => this.#onHello(msg, joined),
        keyframe: (msg) => this.#onKeyframe(msg),
        events: (events) => this.#onEvents(events),
        viewers: (n) => {
          this.viewers = n;
          this.#changed();
        },
        status: (state, info) => {
          this.connection = state;
          this.retryIn = info.retryIn ?? 0;
          this.#changed();
        },
      });
      this.feed.start();
      await this.#whenJoined();
      if (at !== null) await this.seek(at);
      else if (this.delay > 0) await this.goLive();
    } else if (at !== null) {
      await this.seek(at, { play: false });
    } else {
      await this.seek(this.duration(), { play: false });
      this.poster = true;
      this._pos = 0;
      this.#changed();
    }
  }

  #whenJoined() {
    return new Promise((resolve) => {
      const check = () => {
        if (this.connection === "open" || !this.stream.live) {
          this.removeEventListener("change", check);
          resolve();
        }
      };
      this.addEventListener("change", check);
      check();
    });
  }

  // ── what the controls read ──────────────────────────────────────────────────────────────

  /** Stream time of the newest moment there is: now, for a live stream. */
  liveEdge() {
    const head = this._head.t;
    if (!this.stream.live) return Math.max(head, this.stream.duration ?? 0);
    return head + (performance.now() - this._head.at) / 1000;
  }

  /** Length of the seekable range, in seconds. */
  duration() {
    return this.liveEdge();
  }

  /** Stream time of what is shown. */
  position() {
    return this.mode === "live" ? this.liveEdge() : this._pos;
  }

  /** Stream time the panels may show at most: the live edge less the delay. */
  #cap() {
    return this.stream.live ? this.liveEdge() - this.delay : Number.POSITIVE_INFINITY;
  }

  /** A plain snapshot for controls and tests. */
  state() {
    return {
      seq: this.seq,
      t: this.position(),
      duration: this.duration(),
      live: this.mode === "live" || this._lagLive,
      delay: this.delay,
      streamLive: !!this.stream.live,
      playing: this.mode === "live" || this.playing,
      speed: this.speed,
      busy: this.busy,
      poster: this.poster,
      connection: this.connection,
      viewers: this.viewers,
    };
  }

  // ── commands ─────────────────────────────────────────────────────────────────────────────

  play() {
    if (this.mode === "live" || this.playing) return;
    if (this.poster || (!this.stream.live && this.#atEnd())) {
      this.seek(0, { play: true }); // play at the end starts over, as every player does
      return;
    }
    this.playing = true;
    this.#startClock();
    this.#changed();
  }

  /** Pause. A live viewer who pauses freezes the picture and falls behind live (DVR). */
  pause() {
    if (this.mode === "live") {
      this.#enterReplay(this.liveEdge());
    }
    this.playing = false;
    this._lagLive = false;
    this.#changed();
  }

  toggle() {
    if (this.mode === "live" || this.playing) this.pause();
    else this.play();
  }

  setSpeed(speed) {
    this.speed = clamp(speed, SPEEDS[0], SPEEDS[SPEEDS.length - 1]);
    this.#changed();
  }

  /**
   * Keep the panels `seconds` behind live from now on (0: at the live edge). A viewer who is
   * live stays live, at the new delay; one who rewound stays where they are.
   */
  setDelay(seconds) {
    const d = clamp(Number(seconds) || 0, 0, MAX_DELAY);
    if (d === this.delay) return Promise.resolve();
    const wasLive = this.mode === "live" || this._lagLive;
    this.delay = d;
    this._lagLive = false;
    this.#changed();
    if (!wasLive || !this.stream.live) return Promise.resolve();
    return d > 0 ? this.#goDelayed() : this.goLive();
  }

  /** Step through SPEEDS: +1 faster, −1 slower. */
  stepSpeed(dir) {
    const i = SPEEDS.indexOf(this.speed);
    const next = SPEEDS[clamp((i < 0 ? 0 : i) + dir, 0, SPEEDS.length - 1)];
    this.setSpeed(next);
  }

  seekBy(seconds) {
    return this.seek(this.position() + seconds);
  }

  seekFraction(f) {
    return this.seek(clamp(f, 0, 1) * this.duration());
  }

  /**
   * Show stream time `t`: load the newest keyframe at or before it, apply the events after
   * it up to t, and carry on from there (playing if the viewer was, or `play` says so).
   * Resolves when the panels show t; a later jump supersedes an unfinished one.
   */
  async seek(t, { play = null } = {}) {
    const resume = play ?? (this.mode === "live" || this.playing);
    t = clamp(t, 0, this.duration());
    if (this.stream.live && t >= this.liveEdge() - this.delay - LIVE_SLACK) {
      return this.goLive();
    }
    await this.#jump(t, resume);
  }

  /** The body of a seek: show t and carry on; resolves true unless a later jump took over. */
  async #jump(t, resume) {
    const gen = ++this._gen;
    this.poster = false;
    this.#enterReplay(t);
    this.playing = resume;
    this.busy = true;
    this.#changed();
    try {
      await this.#load(t, gen);
    } catch (err) {
      if (gen === this._gen) this.#fail(`Could not load ${Math.round(t)} s: ${err.message}`);
      return false;
    } finally {
      if (gen === this._gen) this.busy = false;
    }
    if (gen !== this._gen) return false;
    this._pos = t;
    this._idleFrom = t;
    if (this.playing) this.#startClock();
    this.#changed();
    this.#tickEvent();
    return true;
  }

  /** Back to the live edge: jump to the newest keyframe, apply what follows, follow the socket. */
  async goLive() {
    if (!this.stream.live) return;
    if (this.delay > 0) return this.#goDelayed();
    if (this.mode === "live") return;
    const gen = ++this._gen;
    this.#enterReplay(this._pos);
    this.busy = true;
    this.#changed();
    try {
      // The socket's head can be newer than the store's answer only by events still in
      // flight to us; #catchUp fetches those too.
      if (this._head.seq - this.seq > LOW_WATER || this.seq === 0) {
        await this.#load(Number.MAX_SAFE_INTEGER, gen);
      }
      if (gen !== this._gen) return;
      await this.#catchUp(gen);
    } catch (err) {
      if (gen === this._gen) this.#fail(`Could not go live: ${err.message}`);
    } finally {
      if (gen === this._gen) this.busy = false;
      this.#changed();
    }
  }

  /** Live with a delay: load the live edge less the delay and pin the replay clock there. */
  async #goDelayed() {
    if (this._lagLive) return;
    if (await this.#jump(Math.max(0, this.#cap()), true)) {
      this._lagLive = !!this.stream.live;
      this.#changed();
    }
  }

  // ── the one path events take ────────────────────────────────────────────────────────────

  #reset(state, seq, t) {
    for (const p of this.panels) p.reset?.(state);
    this.seq = seq;
    this.t = t;
    if (state?.ended) this.#ended(t);
  }

  #apply(ev) {
    if (ev.seq <= this.seq) return; // already shown: resumes and catch-ups may overlap
    this.seq = ev.seq;
    this.t = ev.t;
    this._idleFrom = ev.t;
    for (const p of this.panels) p.apply?.(ev);
    if (ev.kind === "stream.end") this.#ended(ev.t);
  }

  /** Fetch and show stream time t: the keyframe at or before it, then the events up to it. */
  async #load(t, gen) {
    const at = await api.seek(this.stream.id, t);
    const kf = at.keyframe;
    const from = kf ? kf.seq : 0;
    // Fetch everything before touching the panels, so they never show a half-loaded state.
    const events = await api.range(this.stream.id, from, at.seq);
    if (gen !== this._gen) return;
    this.#reset(kf ? kf.state : null, from, kf ? kf.t : 0);
    for (const ev of events) this.#apply(ev);
    this.#noteHead(at.seq, this.t);
  }

  /** Apply what the socket has seen beyond what is shown, then follow the socket. */
  async #catchUp(gen) {
    while (this.seq < this._head.seq) {
      const events = await api.range(this.stream.id, this.seq, this._head.seq);
      if (gen !== this._gen) return;
      if (events.length === 0) break; // cannot happen (stored before sent); never spin
      for (const ev of events) this.#apply(ev);
    }
    if (gen !== this._gen) return;
    this.#followLive();
  }

  /**
   * Switch to live. Only call with everything the socket delivered already applied: from
   * here on the socket's events are applied as they come, and this runs synchronously, so no
   * message can slip in between.
   */
  #followLive() {
    if (!this.stream.live) return;
    this.mode = "live";
    this.playing = false;
    this.#stopClock();
    this.#changed();
  }

  /** The stream is over at stream time t: it has a fixed length now, and no live edge. */
  #ended(t) {
    if (!this.stream.live) return;
    this.stream.live = false;
    this.stream.duration = Math.max(t, this.stream.duration ?? 0);
    this.#noteHead(this.seq, t);
    this.feed?.stop();
    this._lagLive = false; // what is still queued plays out as a replay
    if (this.mode === "live") {
      // The live picture is the last frame: stay on it, as a replay that has finished.
      this.#enterReplay(t);
      this.playing = false;
    }
    this.#changed();
  }

  // ── the socket ──────────────────────────────────────────────────────────────────────────

  #onHello(msg, joined) {
    // `live` changes only through #ended, when the end is reached in the log, so that a
    // viewer who joins just after the end still sees it arrive.
    const { live: _live, ...summary } = msg.stream;
    Object.assign(this.stream, summary);
    this.#noteHead(msg.stream.events ?? 0, Math.max(msg.stream.duration ?? 0, msg.now ?? 0));
    if (joined && this.mode === "live") {
      // A fresh join: what follows is a keyframe (if the stream has one) and the events
      // after it, so start from the empty stream.
      this.#reset(null, 0, 0);
    }
    this.#changed();
  }

  #onKeyframe(msg) {
    if (this.mode !== "live") return;
    this.#reset(msg.state, msg.seq, msg.t);
    this.#noteHead(msg.seq, msg.t);
  }

  #onEvents(events) {
    const last = events[events.length - 1];
    this.#noteHead(last.seq, last.t);
    if (this.mode === "live") {
      for (const ev of events) this.#apply(ev);
      this.#tickEvent();
    } else {
      // Rewound: the archive has these and replay fetches them when it gets there; but a
      // replay clock that has caught up with the socket (a delayed live viewer) queues them
      // rather than asking the server for what it was just sent.
      if (!this.busy) {
        for (const ev of events) {
          if (ev.seq !== this.#tail() + 1 || this._queue.length - this._qi >= MAX_HELD) break;
          this._queue.push(ev);
        }
      }
      // The end of the stream fixes the duration.
      const end = events.find((ev) => ev.kind === "stream.end");
      if (end) this.#ended(end.t);
    }
  }

  /** Learn of the newest event: the live edge runs on from the newest t at wall-clock pace. */
  #noteHead(seq, t) {
    if (seq > this._head.seq) this._head.seq = seq;
    if (t > this._head.t) {
      this._head.t = t;
      this._head.at = performance.now();
    }
  }

  // ── the replay clock ────────────────────────────────────────────────────────────────────

  #enterReplay(pos) {
    this.mode = "replay";
    this._lagLive = false;
    this._pos = pos;
    this._idleFrom = Math.max(pos, this.t);
    this._queue = [];
    this._qi = 0;
    this._fetching = null;
    this.#stopClock();
  }

  /** Seq of the newest event fetched (applied or buffered). */
  #tail() {
    const last = this._queue[this._queue.length - 1];
    return last ? last.seq : this.seq;
  }

  #atEnd() {
    return this.#tail() >= this._head.seq && this._pos >= this.duration() - 0.05;
  }

  #startClock() {
    if (this._raf) return;
    this._last = performance.now();
    this._raf = requestAnimationFrame((now) => this.#tick(now));
  }

  #stopClock() {
    if (this._raf) cancelAnimationFrame(this._raf);
    this._raf = 0;
  }

  #tick(now) {
    this._raf = 0;
    if (this.mode !== "replay" || !this.playing) return;
    const dt = Math.min(Math.max(0, now - this._last) / 1000, MAX_STEP) * this.speed;
    this._last = now;

    // The head is the newest event known to exist (the socket moves it while live).
    const unfetched = this.#tail() < this._head.seq;
    const cap = this.#cap();
    // Pinned behind live, the clock is the wall clock: silences play out, as on the video.
    let target = this._lagLive ? cap : this._pos + dt;
    const next = this._queue[this._qi];
    // A silence the streamer's voice covers (media.js sets keepTime) plays out in full.
    if (
      !this._lagLive &&
      next &&
      next.t > target &&
      target - this._idleFrom > MAX_IDLE &&
      !this.keepTime?.(target)
    ) {
      target = next.t; // cut the silence short
    }
    if (!next && unfetched) {
      target = this._pos; // buffering: hold still rather than run ahead of the data
    }
    target = Math.min(target, Math.max(cap, this._pos));
    while (this._qi < this._queue.length && this._queue[this._qi].t <= target) {
      this.#apply(this._queue[this._qi]);
      this._qi += 1;
    }
    if (this._qi > 4 * PAGE) {
      this._queue = this._queue.slice(this._qi);
      this._qi = 0;
    }
    this._pos = Math.min(target, Math.max(this.duration(), this.t));

    const left = this._queue.length - this._qi;
    if (left < LOW_WATER && unfetched) this.#fill();
    if (this.stream.live && this.delay > 0 && !this._lagLive) {
      // Caught up with the delayed edge, or with everything there is: pinned from now on.
      if (this._pos >= cap - 0.05 || (left === 0 && this.#tail() >= this._head.seq)) {
        this._lagLive = true;
        this.#changed();
      }
    } else if (left === 0 && this.#tail() >= this._head.seq) {
      if (this.stream.live && this.delay === 0) {
        // Caught up with everything the socket has seen: this is live now.
        this.#followLive();
        this.#tickEvent();
        return;
      }
      if (this._pos >= this.duration()) {
        this._pos = this.duration();
        this.playing = false;
        this.#changed();
        this.#tickEvent();
        return;
      }
    }
    this.#tickEvent();
    this._raf = requestAnimationFrame((n) => this.#tick(n));
  }

  /** Fetch the next page of events after what is buffered (one request at a time). */
  #fill() {
    if (this._fetching || performance.now() < this._retryAt) return;
    const gen = this._gen;
    const tail = this._queue[this._queue.length - 1];
    const since = tail ? tail.seq : this.seq;
    const fetching = api
      .page(this.stream.id, since, { limit: PAGE })
      .then((events) => {
        if (gen !== this._gen) return;
        for (const ev of events) if (ev.seq > this.#tail()) this._queue.push(ev);
        if (events.length === 0) {
          // The head we were told of is not in the store (yet): believe the store.
          this._head.seq = Math.min(this._head.seq, since);
        }
      })
      .catch((err) => {
        if (gen !== this._gen) return;
        this._retryAt = performance.now() + RETRY * 1000;
        this.#fail(`Could not load more of the stream (retrying): ${err.message}`);
      })
      .finally(() => {
        if (this._fetching === fetching) this._fetching = null;
      });
    this._fetching = fetching;
  }

  // ── notifications ───────────────────────────────────────────────────────────────────────

  #changed() {
    this.dispatchEvent(new Event("change"));
  }

  #tickEvent() {
    this.dispatchEvent(new Event("tick"));
  }

  #fail(message) {
    this.dispatchEvent(new CustomEvent("error", { detail: message }));
  }
}
