/**
 * The live feed: one viewer websocket (server/watch.py) that survives disconnects.
 *
 * The feed promises its listener every event of the stream after the point it joined, in
 * order, at least once: after a drop it reconnects with `?since=<last seq received>`, so the
 * server sends exactly what was missed. Duplicates can only come from a listener that seeks
 * behind the feed's back, so listeners still ignore seqs they have already applied.
 *
 * Reconnects back off exponentially with full jitter (so a server restart is not greeted by
 * every viewer in the same millisecond), and reset once a connection has said hello.
 */

const BACKOFF_FIRST = 0.5; // seconds before the first retry (before jitter)
const BACKOFF_MAX = 15; // seconds: retries never wait longer than this
const PING_EVERY = 20; // seconds between pings; the server answers each with a pong
const SILENCE_LIMIT = 45; // seconds without any message before the socket counts as dead

// Close codes from server/watch.py that retrying cannot fix.
const CLOSE_NOT_FOUND = 4404;

export class LiveFeed {
  /**
   * @param {string} streamId
   * @param {object} on  callbacks, each optional:
   *   hello(msg, joined)  a connection opened; joined = true when it is a fresh join (a
   *                       keyframe, if any, and the events after it follow), false on resume
   *   keyframe(msg)       {seq, t, state}: the newest snapshot, on a fresh join only
   *   events(list)        events in seq order
   *   viewers(count)
   *   status(state, info) "connecting" | "open" | "waiting" (info.retryIn seconds) | "gone"
   */
  constructor(streamId, on) {
    this.streamId = streamId;
    this.on = on;
    /** Highest seq this feed has delivered (a keyframe's seq counts): where a resume starts. */
    this.lastSeq = 0;
    this.state = "idle";
    this._ws = null;
    this._attempt = 0;
    this._retry = 0;
    this._ping = 0;
    this._heard = 0;
    this._stopped = false;
    /** Milliseconds a shutting-down server asked us to wait before reconnecting (once). */
    this._hintMs = null;
  }

  start() {
    this._stopped = false;
    this._connect();
  }

  /** Close for good: no more callbacks, no reconnects. */
  stop() {
    this._stopped = true;
    clearTimeout(this._retry);
    this._teardown();
    this._status("gone");
  }

  /** Drop the connection as a network failure would (tests use this to prove resume works). */
  drop() {
    this._ws?.close(4000, "dropped by the viewer");
  }

  _url() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const since = this.lastSeq > 0 ? `?since=${this.lastSeq}` : "";
    return `${proto}//${location.host}/ws/streams/${encodeURIComponent(this.streamId)}${since}`;
  }

  _status(state, info = {}) {
    this.state = state;
    this.on.status?.(state, info);
  }

  _connect() {
    if (this._stopped) return;
    const joined = this.lastSeq === 0;
    const ws = new WebSocket(this._url());
    this._ws = ws;
    this._status("connecting");
    ws.onmessage = (e) => {
      if (ws !== this._ws) return;
      this._heard = performance.now();
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return; // not ours to interpret; the server only sends JSON
      }
      this._dispatch(msg, joined);
    };
    ws.onclose = (e) => {
      if (ws !== this._ws) return;
      this._teardown();
      if (this._stopped) return;
      if (e.code === CLOSE_NOT_FOUND) {
        this._stopped = true;
        this._status("gone", { reason: e.reason || "no such stream" });
        return;
      }
      this._scheduleRetry();
    };
    // onerror is always followed by onclose, which does the work.
    ws.onerror = () => {};
  }

  _dispatch(msg, joined) {
    switch (msg.type) {
      case "hello":
        this._attempt = 0; // a working connection: the next drop starts the backoff afresh
        this._startPings();
        this._status("open");
        this.on.hello?.(msg, joined);
        if (msg.viewers != null) this.on.viewers?.(msg.viewers);
        break;
      case "keyframe":
        this.lastSeq = Math.max(this.lastSeq, msg.seq);
        this.on.keyframe?.(msg);
        break;
      case "events": {
        const fresh = msg.events.filter((ev) => ev.seq > this.lastSeq);
        if (fresh.length) {
          this.lastSeq = fresh[fresh.length - 1].seq;
          this.on.events?.(fresh);
        }
        break;
      }
      case "viewers":
        this.on.viewers?.(msg.count);
        break;
      case "reconnect":
        // A server going down says when to come back; spreading the returns over that window
        // keeps every viewer of a restarting process from landing on the next one at once.
        if (Number.isFinite(msg.after_ms) && msg.after_ms >= 0) this._hintMs = msg.after_ms;
        break;
      default:
        break; // "pong", and kinds of message a newer server may add
    }
  }

  _startPings() {
    clearInterval(this._ping);
    this._heard = performance.now();
    this._ping = setInterval(() => {
      const ws = this._ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      // A laptop that slept, or a proxy that lost the connection, can leave a socket that
      // never closes by itself; silence past the limit means it is gone.
      if (performance.now() - this._heard > SILENCE_LIMIT * 1000) {
        ws.close(4001, "no answer from the server");
        return;
      }
      ws.send('{"type":"ping"}');
    }, PING_EVERY * 1000);
  }

  _teardown() {
    clearInterval(this._ping);
    const ws = this._ws;
    this._ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close();
  }

  _scheduleRetry() {
    let wait;
    if (this._hintMs != null) {
      // The server's own window, capped like any backoff, still jittered across the window.
      wait = Math.min(BACKOFF_MAX, this._hintMs / 1000) * (0.5 + Math.random() * 0.5);
      this._hintMs = null;
    } else {
      const cap = Math.min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** this._attempt);
      // Full jitter, with a floor so a flapping server is not hammered.
      wait = 0.1 + Math.random() * cap;
    }
    this._attempt += 1;
    this._status("waiting", { retryIn: wait });
    clearTimeout(this._retry);
    this._retry = setTimeout(() => this._connect(), wait * 1000);
  }
}
