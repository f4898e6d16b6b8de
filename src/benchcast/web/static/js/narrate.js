/**
 * The studio's narration box: notes (markdown), markers, the activity, the goal /
 * hypothesis / next step and the external video (a Twitch/YouTube/HLS link and its offset), sent into the channel's live stream (POST /api/streams/{id}/narrate,
 * as the logged-in streamer); and the chapters of the channel's latest stream, whose titles
 * and one-line summaries the streamer can edit afterwards (POST /api/streams/{id}/chapters/{seq}).
 *
 * Hotkeys anywhere on the studio page: Alt+N the note box, Alt+M a marker, Alt+A the
 * activity, Alt+G the goal; Ctrl+Enter (or Cmd+Enter) in the note box sends it.
 * `window.narrate` exposes {stream, refresh()} for tests.
 */

import { clock } from "./format.js";

const box = document.querySelector("[data-narrate]");
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
let stream = null;

async function call(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const out = await res.json().catch(() => null);
  if (!res.ok) throw new Error(out?.error ?? `${res.status} ${res.statusText}`);
  return out;
}

function say(text) {
  box.querySelector("[data-narrate-status]").textContent = text;
}

async function send(kind, data) {
  if (!stream || !stream.live) {
    say("No live stream on this channel: start one with `benchcast live`.");
    return false;
  }
  try {
    await call("POST", `/api/streams/${encodeURIComponent(stream.id)}/narrate`, { kind, data });
    say(`Sent (${kind}) at ${new Date().toLocaleTimeString()}.`);
    setTimeout(refreshChapters, 800);
    return true;
  } catch (err) {
    say(err.message);
    return false;
  }
}

async function refresh() {
  const channel = box.dataset.channel;
  const out = await call("GET", `/api/streams?channel=${encodeURIComponent(channel)}&limit=1`);
  stream = out.streams[0] ?? null;
  box.querySelector("[data-narrate-stream]").textContent = stream
    ? `${stream.live ? "live" : "last"}: ${stream.title || stream.id}`
    : "no streams yet";
  await refreshChapters();
}

async function refreshChapters() {
  const host = box.querySelector("[data-chapter-edits]");
  if (!stream) {
    host.replaceChildren();
    return;
  }
  const { chapters } = await call("GET", `/api/streams/${encodeURIComponent(stream.id)}/chapters`);
  box.querySelector("[data-chapters-of]").textContent = `of ${stream.title || stream.id}`;
  host.replaceChildren();
  if (!chapters.length) {
    host.textContent = "No chapters yet.";
    return;
  }
  for (const c of chapters) {
    const form = document.createElement("form");
    form.className = "chapter-edit";
    const when = document.createElement("a");
    when.href = `/s/${encodeURIComponent(stream.id)}?t=${c.t}`;
    when.textContent = clock(c.t);
    const title = Object.assign(document.createElement("input"), { name: "title", value: c.title, maxLength: 200 });
    title.setAttribute("aria-label", `Title of the chapter at ${clock(c.t)}`);
    const summary = Object.assign(document.createElement("input"), {
      name: "summary",
      value: c.summary ?? "",
      maxLength: 300,
      placeholder: "One-line summary",
    });
    summary.setAttribute("aria-label", `Summary of the chapter at ${clock(c.t)}`);
    const save = () =>
      call("POST", `/api/streams/${encodeURIComponent(stream.id)}/chapters/${c.seq}`, {
        title: title.value,
        summary: summary.value,
      })
        .then(() => say(`Chapter at ${clock(c.t)} saved.`))
        .catch((err) => say(err.message));
    title.addEventListener("change", save);
    summary.addEventListener("change", save);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      save();
    });
    form.append(when, title, document.createElement("span"), summary);
    host.append(form);
  }
}

function form(sel, fn) {
  box.querySelector(sel).addEventListener("submit", async (e) => {
    e.preventDefault();
    await fn(e.target);
  });
}

if (box) {
  form("[data-note-form]", async (f) => {
    const text = f.text.value.trim();
    if (text && (await send("note", { text }))) f.text.value = "";
  });
  form("[data-mark-form]", async (f) => {
    const label = f.label.value.trim();
    if (label && (await send("marker", { label }))) f.label.value = "";
  });
  form("[data-activity-form]", (f) => send("activity", { mode: f.mode.value }));
  form("[data-now-form]", (f) =>
    send("now", { goal: f.goal.value, hypothesis: f.hypothesis.value, next: f.next.value }),
  );
  // The video broadcast of this session, and how far behind it runs (docs/pairing.md).
  form("[data-video-form]", (f) =>
    send("video", { link: f.link.value.trim() || "none", offset: Number(f.offset.value) || 0 }),
  );
  box.querySelector("[data-note]").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      box.querySelector("[data-note-form]").requestSubmit();
    }
  });
  window.addEventListener("keydown", (e) => {
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    const target = { n: "[data-note]", m: "[data-mark]", a: "[data-activity]", g: "[data-goal]" }[e.key.toLowerCase()];
    if (target) {
      e.preventDefault();
      box.querySelector(target).focus();
    }
  });
  refresh().catch((err) => say(err.message));
  setInterval(() => refresh().catch(() => {}), 15000);
  window.narrate = {
    get stream() {
      return stream;
    },
    refresh,
  };
}
