/**
 * The external video on the stream page: the streamer's Twitch or YouTube broadcast (or an HLS
 * stream) of the same session, shown above the side panels, and the offset that keeps the
 * panels in step with it.
 *
 * The stream says which video and how far behind it runs (a `video` event: {provider, id,
 * url, offset}; the page's summary carries the newest). Twitch and YouTube are shown through
 * their official iframe embeds, built here from an id checked against the same patterns the
 * server checks (events.Video) — never from a URL someone supplied. HLS plays in a <video>
 * element where the browser plays HLS itself; where it cannot, a link to the stream is shown
 * instead (no HLS library is bundled).
 *
 * The player holds the panels `offset` seconds behind live (player.setDelay). A viewer whose
 * video runs behind by more or less can change it here; their choice is kept for this stream
 * in localStorage. A player panel: apply(ev) takes a newer `video` event (the streamer
 * changed it during the stream).
 */

import { MAX_DELAY } from "./player.js";
import { el } from "./ui.js";

const TWITCH_CHANNEL = /^[A-Za-z0-9_]{3,25}$/;
const YOUTUBE_VIDEO = /^[A-Za-z0-9_-]{11}$/;
const YOUTUBE_CHANNEL = /^UC[A-Za-z0-9_-]{22}$/;
const HLS_TYPE = "application/vnd.apple.mpegurl";

const storeKey = (streamId) => `benchcast.videoOffset.${streamId}`;

/**
 * What to embed for a `video` payload: {kind: "iframe", src} | {kind: "hls", url} | null when
 * it is none, or not a shape this page accepts.
 */
export function embedFor(video, host = location.hostname) {
  if (!video) return null;
  const id = String(video.id ?? "");
  if (video.provider === "twitch" && TWITCH_CHANNEL.test(id)) {
    const q = new URLSearchParams({ channel: id, parent: host, muted: "true", autoplay: "true" });
    return { kind: "iframe", title: `Twitch: ${id}`, src: `https://player.twitch.tv/?${q}` };
  }
  if (video.provider === "youtube" && YOUTUBE_VIDEO.test(id)) {
    return { kind: "iframe", title: "YouTube video", src: `https://www.youtube-nocookie.com/embed/${id}?autoplay=1&mute=1` };
  }
  if (video.provider === "youtube" && YOUTUBE_CHANNEL.test(id)) {
    const q = new URLSearchParams({ channel: id, autoplay: "1", mute: "1" });
    return { kind: "iframe", title: "YouTube live", src: `https://www.youtube.com/embed/live_stream?${q}` };
  }
  if (video.provider === "hls") {
    try {
      const url = new URL(video.url);
      if ((url.protocol === "https:" || url.protocol === "http:") && !url.username && !url.password) {
        return { kind: "hls", url: url.href };
      }
    } catch {
      // not a URL: nothing to show
    }
  }
  return null;
}

/** The delay this viewer wants for a stream: their own, else the streamer's offset. */
export function viewerDelay(stream) {
  const own = localStorage.getItem(storeKey(stream.id));
  if (own !== null && Number.isFinite(Number(own))) return clampDelay(Number(own));
  return clampDelay(Number(stream.video?.offset ?? 0));
}

function clampDelay(s) {
  return Math.min(MAX_DELAY, Math.max(0, Number.isFinite(s) ? s : 0));
}

export class VideoPanel {
  /**
   * @param {{layout, player, stream}} opts  stream: the page's summary (id, events, video)
   */
  constructor({ layout, player, stream }) {
    this.layout = layout;
    this.player = player;
    this.streamId = stream.id;
    this.known = stream.events ?? 0; // events the summary's `video` already reflects
    this.video = null;
    this.shown = "";
    this.element = el("section", { class: "ext-video", "aria-label": "Video", hidden: true });
    this.frame = el("div", { class: "ext-video-frame" });
    this.offsetIn = el("input", { type: "number", min: 0, max: MAX_DELAY, step: 0.5, class: "ext-video-offset", "aria-label": "Panels delay in seconds", "data-video-offset": true });
    this.offsetIn.addEventListener("keydown", (e) => e.stopPropagation());
    this.offsetIn.addEventListener("change", () => this.setOffset(Number(this.offsetIn.value)));
    this.resetBtn = el("button", { type: "button", class: "msg-act", text: "Streamer’s", title: "Use the streamer’s offset", onclick: () => this.setOffset(null) });
    this.note = el("span", { class: "ext-video-note" });
    this.element.append(
      this.frame,
      el("div", { class: "ext-video-bar" },
        el("label", { class: "ext-video-label", title: "Panels wait this long, so they match the video" }, "Panels delayed ", this.offsetIn, " s"),
        this.resetBtn, this.note),
    );
    const side = layout.side.host;
    side.insertBefore(this.element, side.firstChild);
    player.addEventListener("change", () => this.#renderOffset());
    // A past stream's live video is gone (a channel's player would show whatever is on now).
    this.show(stream.live ? (stream.video ?? null) : null);
  }

  /** Show `video` (a `video` payload, or null for none) and take its offset. */
  show(video) {
    this.video = video;
    const embed = embedFor(video);
    const key = JSON.stringify(embed);
    if (key !== this.shown) {
      this.shown = key;
      this.frame.replaceChildren();
      if (embed?.kind === "iframe") {
        this.frame.append(el("iframe", {
          src: embed.src,
          title: embed.title,
          allow: "autoplay; fullscreen; picture-in-picture",
          referrerpolicy: "strict-origin-when-cross-origin",
          "data-embed": video.provider,
        }));
      } else if (embed?.kind === "hls") {
        this.frame.append(this.#hls(embed.url));
      }
    }
    this.element.hidden = !embed;
    if (embed) {
      this.layout.side.host.hidden = false;
      this.layout.root.classList.add("has-side", "has-video");
    } else {
      this.layout.root.classList.remove("has-video");
    }
    this.player.setDelay(embed ? viewerDelay({ id: this.streamId, video }) : 0);
    this.#renderOffset();
  }

  /** This viewer's own offset (null: the streamer's). */
  setOffset(seconds) {
    if (seconds === null || !Number.isFinite(seconds)) localStorage.removeItem(storeKey(this.streamId));
    else localStorage.setItem(storeKey(this.streamId), String(clampDelay(seconds)));
    this.player.setDelay(viewerDelay({ id: this.streamId, video: this.video }));
    this.#renderOffset();
  }

  #hls(url) {
    const video = document.createElement("video");
    if (video.canPlayType(HLS_TYPE)) {
      Object.assign(video, { src: url, controls: true, muted: true, autoplay: true, playsInline: true });
      video.dataset.embed = "hls";
      return video;
    }
    return el("p", { class: "ext-video-link", "data-embed": "hls-link" },
      "This browser cannot play HLS by itself: ",
      el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: "open the video stream" }),
      " in a player that can (Safari, VLC, mpv).");
  }

  #renderOffset() {
    const d = this.player.delay;
    if (document.activeElement !== this.offsetIn) this.offsetIn.value = String(d);
    const streamer = clampDelay(Number(this.video?.offset ?? 0));
    this.resetBtn.hidden = Math.abs(d - streamer) < 1e-9;
    this.note.textContent = this.resetBtn.hidden ? "" : `(the streamer’s: ${streamer} s)`;
  }

  // ── the player's panel interface ───────────────────────────────────────────────────────

  apply(ev) {
    // Older `video` events (a rewound viewer passing them) are history: the summary's is newer.
    if (ev.kind !== "video" || ev.seq <= this.known) return;
    this.known = ev.seq;
    this.show(ev.data.provider === "none" ? null : ev.data);
  }
}
