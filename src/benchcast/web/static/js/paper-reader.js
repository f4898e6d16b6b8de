/**
 * The streamer's reader (/studio/{channel}/paper): the paper on the channel's live stream,
 * drawn with pdf.js like the viewers' panel. Paging (buttons, PageUp/PageDown, ←/→) and
 * scrolling are sent as `paper.view`; selecting text and pressing H highlights it, N opens a
 * margin note for it first (Ctrl+Enter saves): both are sent as `paper.highlight`
 * (POST /api/streams/{id}/paper). "Open paper…" uploads a local PDF
 * (POST /api/streams/{id}/papers), as `benchcast paper FILE.pdf` does from the shell.
 *
 * Viewers' questions and issues anchored to a passage show in the margin beside it (read
 * from the channel's inbox, GET /api/channels/{name}/inbox, every few seconds).
 *
 * `window.reader` exposes {stream, state, view, asked, ready} for tests.
 */

import { clock, el } from "./ui.js";
import { render } from "./markdown.js";
import { PaperView } from "./paper-view.js";

const root = document.querySelector("[data-reader]");
const config = JSON.parse(document.getElementById("reader-data").textContent);
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const $ = (name) => root.querySelector(`[data-reader-${name}]`);
const view = new PaperView($("body"));
// How often scrolling is told to viewers, at most (ms).
const SCROLL_EVERY = 400;
// How often viewers' questions are read again (ms).
const ASKED_EVERY = 4000;

const reader = { stream: null, state: { current: null, papers: {}, highlights: [] }, view, asked: [], ready: null };
window.reader = reader;

function say(text) {
  $("error").textContent = text;
}

async function call(method, url, body, type = "application/json") {
  const res = await fetch(url, {
    method,
    headers: { Accept: "application/json", "Content-Type": type, "X-CSRF-Token": csrf },
    body: body === undefined || type !== "application/json" ? body : JSON.stringify(body),
  });
  const out = await res.json().catch(() => null);
  if (!res.ok) throw new Error(out?.error ?? `${res.status} ${res.statusText}`);
  return out;
}

const api = (path) => `/api/streams/${encodeURIComponent(reader.stream.id)}${path}`;

async function send(kind, data) {
  if (!reader.stream?.live) {
    say("No live stream on this channel: start one with `benchcast live`.");
    return null;
  }
  try {
    const out = await call("POST", api("/paper"), { kind, data });
    say("");
    return out;
  } catch (err) {
    say(err.message);
    return null;
  }
}

function paper() {
  const s = reader.state;
  return s.current ? s.papers[s.current] : null;
}

async function load() {
  const out = await call("GET", `/api/streams?channel=${encodeURIComponent(config.channel)}&limit=1`);
  reader.stream = out.streams[0] ?? null;
  const s = reader.stream;
  $("stream").textContent = s
    ? `${s.live ? "Live" : "Ended"}: ${s.title || s.id}`
    : "No streams yet: start one with `benchcast live`.";
  if (!s) return;
  reader.state = await call("GET", api("/papers"));
  drawPapers();
  await showCurrent();
}

function drawPapers() {
  const select = $("papers");
  const entries = Object.entries(reader.state.papers);
  select.replaceChildren(...entries.map(([hash, p]) => el("option", { value: hash, text: p.title })));
  select.value = reader.state.current ?? "";
  select.hidden = entries.length < 2;
}

async function showCurrent() {
  const p = paper();
  if (!p) return;
  $("title").textContent = p.title;
  $("notice").textContent = p.searchable
    ? ""
    : "This PDF has no text layer (a scan?): viewers see it, but it cannot be highlighted or searched.";
  view.setHighlights(reader.state.highlights);
  await view.show(p.blob, p.page);
  view.scrollTo(p.scroll ?? 0);
  drawWhere();
}

function drawWhere() {
  $("where").textContent = view.page ? `p. ${view.page} of ${view.pages}` : "";
  const items = reader.state.highlights
    .filter((h) => h.paper === view.hash && h.page === view.page)
    .sort((a, b) => a.start - b.start)
    .map((h) => {
      const li = el("li", { class: "paper-note", "data-highlight": h.id },
        el("span", { class: "paper-note-time", text: clock(h.t ?? 0) }),
        el("blockquote", { class: "paper-quote", text: h.quote }));
      if (h.note) li.append(el("div", { class: "paper-note-text" }, render(h.note)));
      return li;
    });
  for (const item of reader.asked) {
    const a = item.data.anchor;
    if (a.paper !== view.hash || a.page !== view.page) continue;
    const kind = item.data.kind === "bug" ? "Issue" : "Question";
    items.push(el("li", { class: `paper-asked is-${item.data.kind ?? "question"}`, "data-asked": item.id },
      el("span", { class: "paper-asked-kind", text: kind }),
      el("span", { class: "who", text: item.data.name }),
      el("blockquote", { class: "paper-quote", text: a.quote ?? "" }),
      el("div", { class: "paper-asked-text", text: item.data.text })));
  }
  $("margin").replaceChildren(...items);
  if (!items.length) $("margin").append(el("li", { class: "panel-empty", text: "No highlights on this page yet." }));
}

async function turn(delta) {
  const p = paper();
  if (!p) return;
  const page = Math.min(Math.max(1, view.page + delta), view.pages);
  if (page === view.page) return;
  await view.show(p.blob, page);
  view.scrollTo(0);
  p.page = page;
  p.scroll = 0;
  drawWhere();
  await send("paper.view", { paper: p.blob, page, scroll: 0 });
}

let scrollTimer = null;
let lastScroll = 0;
$("body").addEventListener("scroll", () => {
  if (scrollTimer) return;
  scrollTimer = setTimeout(async () => {
    scrollTimer = null;
    const p = paper();
    const scroll = Math.round(view.scrollFraction() * 1000) / 1000;
    if (!p || Math.abs(scroll - lastScroll) < 0.02) return;
    lastScroll = scroll;
    p.scroll = scroll;
    await send("paper.view", { paper: p.blob, page: view.page, scroll });
  }, SCROLL_EVERY);
});

let pending = null;

async function highlight(anchor, note = "") {
  const id = `h-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const data = { id, ...anchor, note };
  const out = await send("paper.highlight", data);
  if (!out) return;
  window.getSelection()?.removeAllRanges();
  const t = reader.stream ? Date.now() / 1000 - reader.stream.started_at : 0;
  reader.state.highlights.push({ ...data, seq: out.seq, t });
  view.setHighlights(reader.state.highlights);
  drawWhere();
}

function openNote(anchor) {
  pending = anchor;
  const form = $("note");
  $("quote").textContent = anchor.quote;
  form.hidden = false;
  form.note.value = "";
  form.note.focus();
}

$("note").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!pending) return;
  const anchor = pending;
  pending = null;
  $("note").hidden = true;
  await highlight(anchor, $("note").note.value.trim());
});
$("note").note.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("note").requestSubmit();
});
$("cancel").addEventListener("click", () => {
  pending = null;
  $("note").hidden = true;
});

document.addEventListener("keydown", (e) => {
  if (e.target.closest?.("input, textarea, select") || e.altKey || e.ctrlKey || e.metaKey) return;
  const key = e.key.toLowerCase();
  if (key === "pagedown" || key === "arrowright") {
    e.preventDefault();
    turn(1);
  } else if (key === "pageup" || key === "arrowleft") {
    e.preventDefault();
    turn(-1);
  } else if (key === "h" || key === "n") {
    const anchor = view.selection();
    if (!anchor) {
      say("Select a passage on the page first.");
      return;
    }
    e.preventDefault();
    if (key === "h") highlight(anchor);
    else openNote(anchor);
  }
});
$("prev").addEventListener("click", () => turn(-1));
$("next").addEventListener("click", () => turn(1));

$("papers").addEventListener("change", async (e) => {
  const p = reader.state.papers[e.target.value];
  if (!p) return;
  reader.state.current = p.blob;
  await showCurrent();
  await send("paper.view", { paper: p.blob, page: view.page, scroll: view.scrollFraction() });
});

$("file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  e.target.value = "";
  if (!file || !reader.stream) return;
  if (file.size > config.max_bytes) {
    say(`${file.name} is ${Math.round(file.size / 1048576)} MB; the limit is ${Math.round(config.max_bytes / 1048576)} MB.`);
    return;
  }
  say(`Uploading ${file.name}…`);
  try {
    const url = api(`/papers?name=${encodeURIComponent(file.name)}`);
    const out = await call("POST", url, file, "application/pdf");
    say(out.scripts ? "This PDF holds JavaScript; it is never run." : "");
    reader.state = await call("GET", api("/papers"));
    drawPapers();
    await showCurrent();
  } catch (err) {
    say(err.message);
  }
});

async function readAsked() {
  try {
    const inbox = await call("GET", `/api/channels/${encodeURIComponent(config.channel)}/inbox`);
    if (inbox.stream?.id !== reader.stream?.id) return;
    const all = [...(inbox.questions ?? []), ...(inbox.answered ?? []), ...(inbox.bugs ?? []), ...(inbox.comments ?? [])];
    const asked = all.filter((item) => item.data?.anchor?.paper);
    if (JSON.stringify(asked.map((i) => i.id)) !== JSON.stringify(reader.asked.map((i) => i.id))) {
      reader.asked = asked;
      drawWhere();
    }
  } catch {
    // The next read tries again; the margin keeps what it showed.
  }
}

window.addEventListener("resize", () => view.refit().then(drawWhere));
setInterval(readAsked, ASKED_EVERY);
reader.ready = load()
  .then(readAsked)
  .catch((err) => say(err.message));
