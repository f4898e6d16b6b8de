/**
 * The studio's voice and camera: captures the microphone (and, if chosen, a camera or a
 * screen or window), encodes with MediaRecorder (WebM/Opus; WebM/VP8 for pictures) in
 * slices of SLICE_MS, and sends them to the channel's live stream over
 * /ws/streams/{id}/media/publish (the streamer's session and its CSRF token). The wire
 * protocol is in docs/protocol.md, "Media".
 *
 * Off air is absolute: when the stream is paused (an `air` event, from `benchcast pause`,
 * panic, or anywhere else; or the publisher's out-of-band hold, the moment the streamer
 * pauses) the server says so on this socket, and every recorder stops at once; nothing
 * recorded while paused is sent, and nothing still held here is. Back on air, capture
 * resumes as a new recording. Mute keeps recording silence, so the voice track keeps its
 * timing.
 *
 * Broadcast delay: the server's hello says the publisher's delay (`--delay`). Each slice is
 * then held here until it is that old, so the voice leaves this machine with the text it
 * goes with, never ahead of it; a pause or panic drops what is held. Messages go out in the
 * order they were made (a recording's start, its slices, its stop); a start sent late says
 * how late (`ago`), so its slices keep the stream time they were recorded at. At most
 * MAX_HELD_BYTES are held: past that the recording stops rather than grow without bound.
 *
 * `window.capture` exposes {state(), start(), stop()} for tests.
 */

const SLICE_MS = 250;
const AUDIO_MIME = "audio/webm;codecs=opus";
const VIDEO_MIMES = ["video/webm;codecs=vp8", "video/webm;codecs=vp9", "video/webm"];
const TRACK_CODE = { audio: 0, video: 1 };
/** The most bytes held for the delay (32 kbit/s voice: over two hours; a camera: minutes). */
const MAX_HELD_BYTES = 32 * 1024 * 1024;
const FLUSH_MS = 50;

const box = document.querySelector("[data-capture]");
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

class Capture {
  constructor(el) {
    this.el = el;
    this.channel = el.dataset.channel;
    this.stream = null; // the live stream: {id, …}
    this.ws = null;
    this.air = "on";
    this.mic = null; // MediaStream
    this.picture = null; // MediaStream (camera or screen)
    this.recorders = {}; // track → MediaRecorder
    this.sent = { audio: 0, video: 0 }; // slices sent
    this.bytes = 0;
    this.refused = 0;
    this.muted = false;
    this.level = 0;
    this.sending = Promise.resolve();
    this.delay = 0; // seconds each slice is held before it is sent (the publisher's --delay)
    this.held = []; // [{ws, at, data: string | Uint8Array, track, bytes}] in sending order
    this.heldBytes = 0;
    this.dropped = 0; // slices held here and dropped by a pause, panic or disconnect
    this.flusher = setInterval(() => this.flush(), FLUSH_MS);
    this.$ = (sel) => el.querySelector(sel);
    this.$("[data-capture-start]").addEventListener("click", () =>
      this.ws || this.wanted ? this.stop() : this.start(),
    );
    this.$("[data-capture-mute]").addEventListener("click", () => this.setMuted(!this.muted));
    this.$("[data-capture-mic]").addEventListener("change", () => this.ws && this.restartMic());
    this.$("[data-capture-picture]").addEventListener("change", () => this.ws && this.setPicture());
    navigator.mediaDevices?.addEventListener?.("devicechange", () => this.listDevices());
    this.listDevices();
    this.render();
  }

  say(text) {
    this.$("[data-capture-status]").textContent = text;
  }

  state() {
    return {
      stream: this.stream?.id ?? null,
      connected: !!this.ws && this.ws.readyState === WebSocket.OPEN,
      air: this.air,
      recording: Object.keys(this.recorders).filter((k) => this.recorders[k].state === "recording"),
      sent: { ...this.sent },
      bytes: this.bytes,
      refused: this.refused,
      delay: this.delay,
      held: this.held.filter((h) => typeof h.data !== "string").length,
      heldBytes: this.heldBytes,
      dropped: this.dropped,
      muted: this.muted,
      level: this.level,
    };
  }

  async listDevices() {
    if (!navigator.mediaDevices?.enumerateDevices) {
      this.say("This browser cannot capture audio (no mediaDevices).");
      return;
    }
    const devices = await navigator.mediaDevices.enumerateDevices();
    const mic = this.$("[data-capture-mic]");
    const keep = mic.value;
    mic.replaceChildren(new Option("Default microphone", ""));
    let n = 0;
    for (const d of devices.filter((d) => d.kind === "audioinput" && d.deviceId && d.deviceId !== "default")) {
      mic.append(new Option(d.label || `Microphone ${++n}`, d.deviceId));
    }
    mic.value = [...mic.options].some((o) => o.value === keep) ? keep : "";
    const pic = this.$("[data-capture-picture]");
    const keepPic = pic.value;
    pic.replaceChildren(new Option("Camera off", ""), new Option("Screen or window…", "screen"));
    n = 0;
    for (const d of devices.filter((d) => d.kind === "videoinput")) {
      pic.append(new Option(d.label || `Camera ${++n}`, `cam:${d.deviceId}`));
    }
    pic.value = [...pic.options].some((o) => o.value === keepPic) ? keepPic : "";
  }

  async findStream() {
    const res = await fetch(`/api/streams?channel=${encodeURIComponent(this.channel)}&limit=1`, {
      headers: { Accept: "application/json" },
    });
    const out = await res.json();
    const s = out.streams?.[0];
    return s && s.live ? s : null;
  }

  /** Go on mic: capture, connect, and (when on air) record and send. */
  async start() {
    this.stream = await this.findStream();
    if (!this.stream) {
      this.say("No live stream on this channel: start one with `benchcast live`, then go on mic.");
      return;
    }
    try {
      await this.openMic();
    } catch (err) {
      this.say(`Could not open the microphone: ${err.message}`);
      return;
    }
    this.wanted = true;
    this.connect();
  }

  /** Open the media socket; after a drop, again every few seconds while on mic. */
  connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const url = `${proto}://${location.host}/ws/streams/${encodeURIComponent(this.stream.id)}/media/publish?csrf=${encodeURIComponent(csrf)}`;
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onmessage = (e) => this.onMessage(JSON.parse(e.data));
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.dropHeld();
      this.stopRecorders(false);
      // A refusal (4403: not allowed, 4404: the stream ended) is final; a drop is retried.
      const final = e.code === 4403 || e.code === 4404 || e.code === 4400;
      this.say(
        `${e.reason ? `Disconnected: ${e.reason}` : "Disconnected."}${final ? "" : " Reconnecting…"}`,
      );
      if (final) this.release();
      else if (this.wanted) setTimeout(() => this.wanted && !this.ws && this.connect(), 2000);
      this.render();
    };
    this.render();
  }

  /** Go off mic: stop recording and release the devices. */
  stop() {
    const ws = this.ws;
    this.ws = null;
    this.dropHeld();
    this.stopRecorders(true, ws);
    ws?.close(1000, "off mic");
    this.release();
    this.say("Off mic.");
    this.render();
  }

  /** Let go of the devices. */
  release() {
    this.wanted = false;
    for (const s of [this.mic, this.picture]) s?.getTracks().forEach((t) => t.stop());
    this.mic = this.picture = null;
    this.$("[data-capture-preview]").srcObject = null;
    this.$("[data-capture-preview]").hidden = true;
    this.meterCtx?.close();
    this.meterCtx = null;
  }

  onMessage(msg) {
    if (msg.type === "hello" || msg.type === "delay") {
      const delay = Number(msg.delay ?? 0);
      this.delay = Number.isFinite(delay) && delay > 0 ? delay : 0;
    }
    if (msg.type === "hello" || msg.type === "air") {
      this.air = msg.air ?? msg.state;
      if (this.air === "on") {
        this.startRecorder("audio", this.mic);
        if (this.picture) this.startRecorder("video", this.picture);
        this.say(
          this.delay
            ? `On air: your voice goes out ${this.delay} s after you speak, with the terminal.`
            : "On air: your voice is live.",
        );
      } else {
        // First: what is held here was never sent, and now never will be.
        this.dropHeld();
        this.stopRecorders(true);
        this.say("Paused: nothing leaves this browser until the stream is back on air.");
      }
    } else if (msg.type === "refused") {
      this.refused += 1;
      this.say(`The server refused ${msg.track}: ${msg.reason}`);
      if (msg.reason === "paused") {
        this.dropHeld();
        this.stopRecorders(false);
      }
    }
    this.render();
  }

  /** Send `data` on `ws` in order after what is held; a slice waits out the delay. */
  send(ws, data, track) {
    const bytes = typeof data === "string" ? 0 : data.byteLength;
    if (!this.held.length && (bytes === 0 || !this.delay)) {
      this.transmit(ws, data, track, 0);
      return;
    }
    if (this.heldBytes + bytes > MAX_HELD_BYTES) {
      this.dropHeld();
      this.stopRecorders(true);
      this.say(`Stopped: more than ${MAX_HELD_BYTES >> 20} MiB held for the ${this.delay} s delay. Go on mic again, or turn the picture off.`);
      return;
    }
    this.held.push({ ws, data, track, bytes, at: performance.now() });
    this.heldBytes += bytes;
  }

  transmit(ws, data, track, waited) {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (typeof data === "string") {
      const msg = JSON.parse(data);
      // A start sent late says how late, so its recording begins where it was recorded.
      if (msg.type === "start" && waited > 0) data = JSON.stringify({ ...msg, ago: waited / 1000 });
      ws.send(data);
      return;
    }
    ws.send(data);
    this.sent[track] += 1;
    this.bytes += data.byteLength - 1;
    this.renderCounts();
  }

  /** Send what has waited out the delay (and the messages queued behind it), in order. */
  flush() {
    const now = performance.now();
    while (this.held.length) {
      const h = this.held[0];
      if (h.bytes && now - h.at < this.delay * 1000) return;
      this.held.shift();
      this.heldBytes -= h.bytes;
      // Only on the socket it was recorded for, and only while on air.
      if (h.ws !== this.ws || this.air !== "on") {
        if (h.bytes) this.dropped += 1;
        continue;
      }
      this.transmit(h.ws, h.data, h.track, now - h.at);
    }
  }

  /** Forget everything held: it is never sent. */
  dropHeld() {
    this.dropped += this.held.filter((h) => h.bytes).length;
    this.held = [];
    this.heldBytes = 0;
  }

  async openMic() {
    const id = this.$("[data-capture-mic]").value;
    this.mic = await navigator.mediaDevices.getUserMedia({
      audio: { deviceId: id ? { exact: id } : undefined, echoCancellation: true, noiseSuppression: true },
    });
    for (const t of this.mic.getAudioTracks()) t.enabled = !this.muted;
    this.meter(this.mic);
    await this.listDevices(); // labels are known once permission is granted
  }

  async restartMic() {
    this.stopRecorder("audio", true);
    this.mic?.getTracks().forEach((t) => t.stop());
    await this.openMic();
    if (this.air === "on") this.startRecorder("audio", this.mic);
  }

  async setPicture() {
    const choice = this.$("[data-capture-picture]").value;
    this.stopRecorder("video", true);
    this.picture?.getTracks().forEach((t) => t.stop());
    this.picture = null;
    const preview = this.$("[data-capture-preview]");
    if (choice) {
      try {
        this.picture =
          choice === "screen"
            ? await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 }, audio: false })
            : await navigator.mediaDevices.getUserMedia({
                video: { deviceId: { exact: choice.slice(4) }, width: 640, height: 360, frameRate: 15 },
              });
      } catch (err) {
        this.say(`Could not open the picture: ${err.message}`);
        this.$("[data-capture-picture]").value = "";
      }
    }
    preview.srcObject = this.picture;
    preview.hidden = !this.picture;
    if (this.picture && this.air === "on") this.startRecorder("video", this.picture);
    this.render();
  }

  setMuted(muted) {
    this.muted = muted;
    for (const t of this.mic?.getAudioTracks() ?? []) t.enabled = !muted;
    this.render();
  }

  startRecorder(track, media) {
    if (!media || !this.ws || this.ws.readyState !== WebSocket.OPEN || this.recorders[track]) return;
    const mime = track === "audio" ? AUDIO_MIME : VIDEO_MIMES.find((m) => MediaRecorder.isTypeSupported(m));
    const rec = new MediaRecorder(media, {
      mimeType: mime,
      audioBitsPerSecond: track === "audio" ? 32000 : undefined,
      videoBitsPerSecond: track === "video" ? 600000 : undefined,
    });
    const ws = this.ws;
    this.send(ws, JSON.stringify({ type: "start", track, mime: rec.mimeType || mime }), track);
    rec.ondataavailable = (e) => {
      // Only what was recorded on air, by the recorder still current, leaves the browser.
      if (!e.data.size || this.recorders[track] !== rec || this.air !== "on" || ws.readyState !== WebSocket.OPEN) return;
      const at = performance.now();
      // Blob reads finish in order of their starting, but chain them to be sure.
      this.sending = this.sending.then(async () => {
        const buf = await e.data.arrayBuffer();
        if (this.recorders[track] !== rec || this.air !== "on" || ws.readyState !== WebSocket.OPEN) return;
        const frame = new Uint8Array(buf.byteLength + 1);
        frame[0] = TRACK_CODE[track];
        frame.set(new Uint8Array(buf), 1);
        this.send(ws, frame, track);
        // Its age counts from when it was recorded, not from when its bytes were read.
        const last = this.held[this.held.length - 1];
        if (last?.data === frame) last.at = at;
      });
    };
    this.recorders[track] = rec;
    rec.start(SLICE_MS);
  }

  stopRecorder(track, tell, ws = this.ws) {
    const rec = this.recorders[track];
    if (!rec) return;
    delete this.recorders[track]; // first: its last slice (from stop()) is not sent
    if (rec.state !== "inactive") rec.stop();
    if (tell && ws?.readyState === WebSocket.OPEN) this.send(ws, JSON.stringify({ type: "stop", track }), track);
  }

  stopRecorders(tell, ws = this.ws) {
    for (const track of Object.keys(this.recorders)) this.stopRecorder(track, tell, ws);
  }

  meter(media) {
    this.meterCtx?.close();
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    ctx.createMediaStreamSource(media).connect(analyser);
    this.meterCtx = ctx;
    const buf = new Float32Array(analyser.fftSize);
    const bar = this.$("[data-capture-level]");
    const step = () => {
      if (this.meterCtx !== ctx) return;
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      const rms = Math.sqrt(sum / buf.length);
      // dBFS from −60 to 0 onto 0…1; muted shows nothing (nothing is sent).
      this.level = this.muted ? 0 : Math.max(0, Math.min(1, 1 + (20 * Math.log10(rms + 1e-9)) / 60));
      bar.value = this.level;
      setTimeout(step, 50);
    };
    step();
  }

  renderCounts() {
    const kb = (this.bytes / 1024).toFixed(0);
    this.$("[data-capture-sent]").textContent = this.ws ? `${this.sent.audio + this.sent.video} slices · ${kb} KiB sent` : "";
  }

  render() {
    const on = !!this.ws || !!this.wanted;
    const start = this.$("[data-capture-start]");
    start.textContent = on ? "Go off mic" : "Go on mic";
    start.classList.toggle("is-live", on);
    const mute = this.$("[data-capture-mute]");
    mute.disabled = !on;
    mute.textContent = this.muted ? "Unmute" : "Mute";
    mute.setAttribute("aria-pressed", String(this.muted));
    const badge = this.$("[data-capture-air]");
    badge.textContent = !on ? "off mic" : this.air === "on" ? (this.muted ? "muted" : "on air") : "paused";
    badge.dataset.state = !on ? "off" : this.air === "on" && !this.muted ? "live" : "paused";
    this.renderCounts();
  }
}

if (box) {
  const capture = new Capture(box);
  window.capture = {
    state: () => capture.state(),
    start: () => capture.start(),
    stop: () => capture.stop(),
    setMuted: (m) => capture.setMuted(m),
  };
}
