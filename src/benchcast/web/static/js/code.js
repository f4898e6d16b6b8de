/**
 * The code panel: the streamer's folder as a view in the player — a file tree, the file shown
 * with highlighting, line numbers and the audience's line comments in its gutter, a git box,
 * and a diff view of what changed lately.
 *
 * Follow mode (on by default) shows the file the streamer is on (file.focus), scrolled to the
 * change, changed lines briefly lit. Any click in the tree turns it off; the Follow button
 * turns it back on. A file whose contents never went out is asked for (live only): the server
 * passes the request to the streamer's machine, and the answer comes as an ordinary event.
 *
 * Like every panel it only folds what the player gives it (reset/apply), so at any point of a
 * replay it shows every file as it was then. `#code=PATH:LINE` in the address opens a file
 * there (the permalink button makes such links, with the stream time).
 */

import * as api from "./api.js";
import { CodeState, lineDiff, shownLines } from "./code-fold.js";
import { FileTreeView } from "./code-tree.js";
import { clock } from "./format.js";
import {
  escapeHtml,
  highlightLines,
  languageFor,
  languageLabel,
  renderMarkdown,
  renderNotebook,
} from "./syntax.js";

/** How long changed lines stay lit, in ms (the CSS animation's length). */
const FLASH_MS = 4000;
/** "What changed lately" looks back this many seconds. */
const RECENT = 300;
/** A diff view's base for "lately" is fetched again after this many seconds. */
const BASE_TTL = 30;
const CONTEXT = 3;

const UNSHOWN = {
  binary: "A binary file: not shown.",
  large: "Over the size limit (200 KB): its contents are not streamed.",
  link: "A symbolic link: never followed.",
  secret: "This file may hold secrets: it is never streamed.",
  unreadable: "This file could not be read on the streamer's machine.",
  ignored: "Ignored: not streamed.",
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class CodePanel {
  /**
   * @param {{layout: import("./layout.js").Layout, player: import("./player.js").Player,
   *          streamId: string}} opts
   */
  constructor({ layout, player, streamId }) {
    this.layout = layout;
    this.player = player;
    this.streamId = streamId;
    this.state = new CodeState();
    this.following = true;
    this.current = null;
    this.selected = null;
    this.mode = "file";
    this.preview = true;
    this.flash = null;
    this.asked = new Map();
    this.bases = new Map();
    this.added = false;
    this.pendingLink = null;
    this.lastFile = null;
    this.#frame = 0;
    this.#dirty = new Set();
    this.#buildDom();
    this.tree = new FileTreeView(this.treeEl, {
      onOpen: (path) => this.open(path),
      onClick: () => this.unfollow(),
    });
    this.#readLink();
    layout.addEventListener("viewchange", (e) => {
      if (e.detail === "code") {
        layout.flag("code", false);
        this.#schedule("tree", "body", "git");
      }
    });
  }

  #frame;
  #dirty;

  // ── the player's side ────────────────────────────────────────────────────────────────────

  reset(state) {
    this.state.reset(state?.code ?? null);
    this.flash = null;
    this.asked.clear();
    this.bases.clear();
    this.tree.invalidate();
    if (this.state.seen) this.#ensureView();
    if (this.following) this.#followFocus(false);
    this.#schedule("tree", "body", "git");
  }

  apply(ev) {
    const change = this.state.apply(ev);
    if (!change) return;
    this.#ensureView();
    switch (change.kind) {
      case "tree":
        this.tree.invalidate();
        if (change.from && change.from === this.current) this.current = change.path;
        this.#schedule("tree", "body");
        break;
      case "file":
        this.lastFile = { path: change.path, patched: !!change.lines };
        if (change.lines && change.lines.length) {
          this.flash = { path: change.path, ranges: change.lines, at: performance.now() };
        }
        if (!this.state.tree.has(change.path)) this.tree.invalidate();
        this.#schedule("tree");
        if (change.path === this.current) this.#schedule("body");
        this.#news();
        break;
      case "focus":
        this.#onFocus(ev.data);
        break;
      case "git":
        this.#schedule("git");
        break;
      case "comments":
        if (change.path === this.current) this.#schedule("body");
        break;
      default:
        break;
    }
  }

  // ── what viewers do ─────────────────────────────────────────────────────────────────────

  /** Show `path` (the viewer picked it: follow mode is off). */
  open(path, line = null) {
    this.following = false;
    this.current = path;
    this.selected = line;
    this.#scrollTo = line;
    this.#schedule("tree", "body", "head");
  }

  unfollow() {
    if (!this.following) return;
    this.following = false;
    this.#schedule("head");
  }

  /** Follow the streamer again: show their file, at their line. */
  follow() {
    this.following = true;
    this.selected = null;
    this.#followFocus(true);
    this.#schedule("tree", "body", "head");
  }

  /** A link to the file shown, at the selected line (or the top), at this stream time. */
  permalink() {
    if (!this.current) return null;
    const line = this.selected ?? this.state.focus?.line ?? 1;
    const t = Math.floor(this.player.position());
    const path = encodeURIComponent(this.current).replace(/%2F/g, "/");
    return `${location.origin}/s/${encodeURIComponent(this.streamId)}?t=${t}#code=${path}:${line}`;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  #scrollTo = null;

  #ensureView() {
    if (this.added) return;
    this.added = true;
    this.layout.addView({ id: "code", title: "Code", element: this.root });
    if (this.pendingLink) this.layout.show("code");
  }

  #visible() {
    return this.added && !this.root.hidden;
  }

  #news() {
    if (this.added && !this.#visible()) this.layout.flag("code");
  }

  #readLink() {
    const m = /^#code=(.+):(\d+)$/.exec(location.hash);
    if (!m) return;
    this.pendingLink = { path: decodeURIComponent(m[1]), line: Number(m[2]) };
    this.following = false;
    this.current = this.pendingLink.path;
    this.selected = this.pendingLink.line;
    this.#scrollTo = this.selected;
  }

  #onFocus(focus) {
    if (!this.following) {
      this.#schedule("tree");
      return;
    }
    // A whole file just sent (seen for the first time): its focus says which lines changed
    // (those that differ from its last commit), unless it only says "the top".
    const after = this.lastFile;
    this.lastFile = null;
    if (after && after.path === focus.path && !after.patched && (focus.line > 1 || focus.end_line)) {
      this.flash = {
        path: focus.path,
        ranges: [[focus.line, focus.end_line ?? focus.line]],
        at: performance.now(),
      };
    }
    this.#followFocus(true);
    this.#news();
    this.#schedule("tree", "body");
  }

  #followFocus(scroll) {
    const focus = this.state.focus;
    if (!focus) return;
    this.current = focus.path;
    this.tree.reveal(focus.path);
    if (scroll) this.#scrollTo = focus.line;
  }

  #schedule(...parts) {
    for (const p of parts) this.#dirty.add(p);
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#draw();
    });
  }

  #draw() {
    if (!this.#visible()) return; // drawn when the view is shown (viewchange)
    const dirty = this.#dirty;
    this.#dirty = new Set();
    if (dirty.has("tree")) {
      if (this.current) this.tree.reveal(this.current);
      this.tree.render(this.state, this.current, this.state.focus?.path ?? null);
    }
    if (dirty.has("body")) this.#drawFile();
    else if (dirty.has("head")) this.#drawHead();
    if (dirty.has("git")) this.#drawGit();
  }

  // ── the DOM ────────────────────────────────────────────────────────────────────────────

  #buildDom() {
    const root = el("div", "code");
    root.dataset.code = "";
    const side = el("aside", "code-side");
    this.treeEl = el("div", "code-tree");
    this.treeEl.dataset.codeTree = "";
    this.gitEl = el("section", "code-git");
    this.gitEl.dataset.codeGit = "";
    this.gitEl.hidden = true;
    side.append(this.treeEl, this.gitEl);

    const main = el("section", "code-main");
    const head = el("header", "code-head");
    this.pathEl = el("span", "code-path");
    this.pathEl.dataset.codePath = "";
    this.metaEl = el("span", "code-meta");
    const tools = el("div", "code-tools");
    this.modeEl = el("select", "code-mode");
    this.modeEl.dataset.codeMode = "";
    this.modeEl.setAttribute("aria-label", "Show");
    for (const [value, label] of [
      ["file", "File"],
      ["recent", "Changed · 5 min"],
      ["start", "Changed · all"],
    ]) {
      const opt = el("option", "", label);
      opt.value = value;
      this.modeEl.append(opt);
    }
    this.modeEl.addEventListener("change", () => {
      this.mode = this.modeEl.value;
      this.#schedule("body");
    });
    this.previewEl = this.#button("Source", "Show the source (or the rendered file)", () => {
      this.preview = !this.preview;
      this.#schedule("body");
    });
    this.previewEl.dataset.codePreview = "";
    this.copyEl = this.#button("Copy", "Copy the file's text", () => this.#copyText());
    this.copyEl.dataset.codeCopy = "";
    this.linkEl = this.#button("Link", "Copy a link to this line at this moment", () =>
      this.#copyLink(),
    );
    this.linkEl.dataset.codeLink = "";
    this.followEl = this.#button("Following", "Follow the streamer's file", () => {
      if (this.following) this.unfollow();
      else this.follow();
    });
    this.followEl.classList.add("code-follow");
    this.followEl.dataset.codeFollow = "";
    tools.append(this.modeEl, this.previewEl, this.copyEl, this.linkEl, this.followEl);
    head.append(this.pathEl, this.metaEl, tools);

    this.bodyEl = el("div", "code-body");
    this.bodyEl.dataset.codeBody = "";
    this.bodyEl.addEventListener("click", (e) => {
      const gutter = e.target.closest(".ln-gutter");
      if (gutter && this.current) {
        // The gutter is where a viewer points at a line: open the report composer on it.
        const line = Number(gutter.parentElement.dataset.line);
        const text = gutter.parentElement.querySelector(".ln-code")?.textContent ?? "";
        document.dispatchEvent(
          new CustomEvent("benchcast:report", {
            detail: { anchor: { file: this.current, line, text: text.slice(0, 4000) }, kind: "bug" },
          }),
        );
        return;
      }
      const no = e.target.closest(".ln-no");
      if (!no) return;
      this.following = false;
      this.selected = Number(no.parentElement.dataset.line);
      for (const row of this.bodyEl.querySelectorAll(".ln.is-selected")) row.classList.remove("is-selected");
      no.parentElement.classList.add("is-selected");
      this.#drawHead();
    });
    main.append(head, this.bodyEl);
    root.append(side, main);
    this.root = root;
  }

  #button(text, title, onClick) {
    const b = el("button", "code-btn", text);
    b.type = "button";
    b.title = title;
    b.addEventListener("click", onClick);
    return b;
  }

  #drawHead() {
    const path = this.current;
    this.pathEl.textContent = path ?? "";
    this.pathEl.title = path ?? "";
    this.followEl.classList.toggle("is-on", this.following);
    this.followEl.textContent = this.following ? "Following" : "Follow";
    this.followEl.setAttribute("aria-pressed", String(this.following));
    this.followEl.disabled = !this.state.focus && !this.following;
    const text = path ? this.state.text(path) : null;
    const lang = path ? languageFor(path, this.state.files.get(path)?.language) : "";
    const parts = [];
    if (path && text !== null) {
      parts.push(languageLabel(lang), `${shownLines(text).length} lines`);
      const f = this.state.files.get(path);
      if (f && f.changes > 0) parts.push(`changed ${clock(f.t)}`);
    }
    this.metaEl.textContent = parts.join(" · ");
    const canPreview = this.mode === "file" && text !== null && (lang === "markdown" || lang === "ipynb");
    this.previewEl.hidden = !canPreview;
    this.previewEl.textContent = this.preview ? "Source" : "Preview";
    this.copyEl.disabled = text === null;
    this.linkEl.disabled = !path;
    this.modeEl.value = this.mode;
  }

  #message(text, className = "code-empty") {
    this.bodyEl.replaceChildren(el("p", className, text));
  }

  #drawFile() {
    this.#drawHead();
    const path = this.current;
    if (!path) {
      this.#message(
        this.state.tree.size
          ? "Pick a file, or wait for the streamer to change one."
          : "No files from the streamer yet.",
      );
      return;
    }
    const entry = this.state.tree.get(path);
    const kind = entry ? entry[0] : null;
    if (kind && UNSHOWN[kind]) {
      this.#message(UNSHOWN[kind], "code-empty code-unshown");
      return;
    }
    const text = this.state.text(path);
    if (text === null) {
      this.#missing(path, entry);
      return;
    }
    const lang = languageFor(path, this.state.files.get(path)?.language);
    if (this.mode !== "file") {
      this.#drawDiff(path, text);
      return;
    }
    const keep = this.bodyEl.scrollTop;
    if (this.preview && (lang === "markdown" || lang === "ipynb")) {
      this.#drawRendered(text, lang, kind);
    } else {
      this.#drawLines(path, text, lang, kind);
    }
    this.#scroll(keep);
  }

  #missing(path, entry) {
    if (!entry) {
      this.#message("This file is not in the streamer's folder at this point of the stream.");
      return;
    }
    if (this.player.stream.live && this.player.mode === "live") {
      const last = this.asked.get(path);
      if (last === undefined || performance.now() - last > 10_000) {
        this.asked.set(path, performance.now());
        this.#want(path);
      }
      this.#message("Asking the streamer's machine for this file…");
    } else {
      this.#message("This file's contents were not sent before this point of the stream.");
    }
  }

  async #want(path) {
    try {
      const res = await fetch(`/api/streams/${encodeURIComponent(this.streamId)}/want`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ path }),
      });
      if (!res.ok && this.current === path && this.state.text(path) === null) {
        const body = await res.json().catch(() => ({}));
        this.#message(body.error ?? "The streamer's machine could not be asked for this file.");
      }
    } catch {
      // Offline: the next open asks again.
    }
  }

  #drawRendered(text, lang, kind) {
    const box = el("div", "code-rendered");
    if (kind === "encoding") box.append(el("p", "code-banner", "Not UTF-8: shown as Latin-1."));
    try {
      if (lang === "ipynb") box.append(renderNotebook(text));
      else {
        const md = el("div", "md");
        md.innerHTML = renderMarkdown(text);
        box.append(md);
      }
    } catch {
      this.preview = false;
      this.#drawLines(this.current, text, lang, kind);
      return;
    }
    this.bodyEl.replaceChildren(box);
  }

  #drawLines(path, text, lang, kind) {
    const rows = shownLines(text);
    const html = highlightLines(text, lang);
    const comments = this.state.commentsOn(path);
    const open = comments.filter((c) => !c.outdated);
    const startAt = new Map();
    const endAt = new Map();
    const commented = new Set();
    for (const c of open) {
      if (!startAt.has(c.line)) startAt.set(c.line, []);
      startAt.get(c.line).push(c);
      const last = Math.min(c.end_line, rows.length);
      if (!endAt.has(last)) endAt.set(last, []);
      endAt.get(last).push(c);
      for (let n = c.line; n <= c.end_line && n - c.line < 1000; n += 1) commented.add(n);
    }
    const lit = new Set();
    let delay = 0;
    if (this.flash && this.flash.path === path) {
      const age = performance.now() - this.flash.at;
      if (age < FLASH_MS) {
        delay = age;
        for (const [a, b] of this.flash.ranges) for (let n = a; n <= b && n - a < 2000; n += 1) lit.add(n);
      }
    }
    const out = [];
    if (kind === "encoding") out.push('<p class="code-banner">Not UTF-8: shown as Latin-1.</p>');
    out.push('<div class="code-lines hljs">');
    for (let i = 0; i < rows.length; i += 1) {
      const n = i + 1;
      let cls = "ln";
      if (lit.has(n)) cls += " is-changed";
      if (n === this.selected) cls += " is-selected";
      if (commented.has(n)) cls += " has-comment";
      const style = lit.has(n) && delay ? ` style="animation-delay:-${Math.round(delay)}ms"` : "";
      const starts = startAt.get(n);
      const mark = starts
        ? `<span class="ln-comment" title="${starts.length} comment${starts.length === 1 ? "" : "s"}">${starts.length}</span>`
        : "";
      out.push(
        `<div class="${cls}" data-line="${n}"${style}><span class="ln-no">${n}</span>` +
          `<span class="ln-gutter">${mark}</span><span class="ln-code">${html[i] ?? ""}</span></div>`,
      );
      const ends = endAt.get(n);
      if (ends) out.push(this.#thread(ends, n));
    }
    out.push("</div>");
    const outdated = comments.filter((c) => c.outdated);
    if (outdated.length) {
      out.push('<section class="code-outdated"><h3>Outdated comments</h3>');
      out.push('<p class="code-note">Their lines were changed or deleted since.</p>');
      for (const c of outdated) out.push(this.#comment(c, true));
      out.push("</section>");
    }
    this.bodyEl.innerHTML = out.join("");
  }

  #thread(comments, line) {
    return `<div class="ln-thread" data-thread="${line}">${comments.map((c) => this.#comment(c, false)).join("")}</div>`;
  }

  #comment(c, outdated) {
    const where = c.end_line > c.line ? `lines ${c.line}–${c.end_line}` : `line ${c.line}`;
    const cls = `code-comment kind-${escapeHtml(c.kind)} status-${escapeHtml(c.status)}${outdated ? " is-outdated" : ""}`;
    return (
      `<article class="${cls}" data-comment="${escapeHtml(c.id)}" data-line="${c.line}">` +
      `<header><span class="cc-kind">${escapeHtml(c.kind)}</span>` +
      `<span class="cc-name">${escapeHtml(c.name)}</span>` +
      `<span class="cc-where">${outdated ? "was on " : ""}${where}</span>` +
      `<span class="cc-time">${clock(c.t)}</span>` +
      (c.status !== "open" ? `<span class="cc-status">${escapeHtml(c.status)}</span>` : "") +
      `</header><p>${escapeHtml(c.text)}</p></article>`
    );
  }

  #scroll(keep) {
    const line = this.#scrollTo;
    this.#scrollTo = null;
    if (line) {
      const row = this.bodyEl.querySelector(`.ln[data-line="${line}"]`);
      if (row) {
        this.bodyEl.scrollTop = Math.max(0, row.offsetTop - this.bodyEl.clientHeight / 3);
        return;
      }
    }
    this.bodyEl.scrollTop = keep;
  }

  // ── the diff view ──────────────────────────────────────────────────────────────────────

  async #drawDiff(path, text) {
    const mode = this.mode;
    const key = `${path}\n${mode}`;
    const now = this.player.position();
    let base = this.bases.get(key);
    if (!base || (mode === "recent" && Math.abs(now - base.at) > BASE_TTL)) {
      this.#message("Loading the earlier version…");
      try {
        base = { at: now, ...(await this.#base(path, mode, now)) };
      } catch (err) {
        this.#message(`Could not load the earlier version: ${err.message}`);
        return;
      }
      this.bases.set(key, base);
      if (this.current !== path || this.mode !== mode) return;
      text = this.state.text(path) ?? text;
    }
    if (base.text === null) {
      this.#message("No earlier version of this file was sent on this stream.");
      return;
    }
    const ops = lineDiff(shownLines(base.text), shownLines(text));
    let added = 0;
    let removed = 0;
    for (const [op] of ops) {
      if (op === "+") added += 1;
      else if (op === "-") removed += 1;
    }
    const out = [
      `<p class="code-diff-head">${added} added, ${removed} removed since ${escapeHtml(base.label)}</p>`,
      '<div class="code-lines code-diff">',
    ];
    if (!added && !removed) out.push('<p class="code-empty">No change.</p>');
    // Unchanged runs longer than the context on both sides are folded away.
    const near = new Uint8Array(ops.length);
    ops.forEach(([op], i) => {
      if (op === " ") return;
      for (let k = Math.max(0, i - CONTEXT); k <= Math.min(ops.length - 1, i + CONTEXT); k += 1) near[k] = 1;
    });
    let oldNo = 0;
    let newNo = 0;
    let skipped = 0;
    ops.forEach(([op, line], i) => {
      if (op !== "+") oldNo += 1;
      if (op !== "-") newNo += 1;
      if (!near[i]) {
        skipped += 1;
        return;
      }
      if (skipped) {
        out.push(`<div class="ln ln-skip">⋯ ${skipped} unchanged line${skipped === 1 ? "" : "s"}</div>`);
        skipped = 0;
      }
      const cls = op === "+" ? " is-added" : op === "-" ? " is-removed" : "";
      const no = op === "-" ? oldNo : newNo;
      out.push(
        `<div class="ln${cls}" ${op === "-" ? "data-old-line" : "data-line"}="${no}"><span class="ln-no">${no}</span>` +
          `<span class="ln-gutter">${op === " " ? "" : op}</span><span class="ln-code">${escapeHtml(line)}</span></div>`,
      );
    });
    if (skipped) out.push(`<div class="ln ln-skip">⋯ ${skipped} unchanged line${skipped === 1 ? "" : "s"}</div>`);
    out.push("</div>");
    this.bodyEl.innerHTML = out.join("");
  }

  /** The file as it was `RECENT` seconds ago (mode "recent") or first sent ("start"). */
  async #base(path, mode, now) {
    const f = this.state.files.get(path);
    if (mode === "recent" && now - RECENT > 0) {
      const t = now - RECENT;
      const at = await api.seek(this.streamId, t);
      const past = new CodeState();
      past.reset(at.keyframe?.state?.code ?? null);
      for (const ev of await api.range(this.streamId, at.keyframe?.seq ?? 0, at.seq)) past.apply(ev);
      const text = past.text(path);
      if (text !== null) return { text, label: clock(t) };
    }
    if (!f) return { text: null, label: "" };
    const [first] = await api.page(this.streamId, f.first_seq - 1, { limit: 1 });
    if (first && first.kind === "file.snapshot" && first.data.path === path) {
      return { text: first.data.text, label: `it was first sent (${clock(first.t)})` };
    }
    return { text: null, label: "" };
  }

  // ── git ────────────────────────────────────────────────────────────────────────────────

  #drawGit() {
    const git = this.state.git;
    const has = git.branch || git.summary || git.commits.length;
    this.gitEl.hidden = !has;
    if (!has) return;
    const parts = [el("h3", "git-title", "Git")];
    const head = el("div", "git-head");
    head.append(el("span", "git-branch", git.branch || "(no branch)"));
    const changed = git.summary ? git.summary.split("\n").filter((l) => l && !l.startsWith("…")).length : 0;
    head.append(el("span", "git-count", changed ? `${changed} changed` : "clean"));
    parts.push(head);
    if (git.summary) parts.push(el("pre", "git-status", git.summary));
    if (git.diffstat) parts.push(el("pre", "git-stat", git.diffstat));
    if (git.commits.length) {
      const list = el("ol", "git-commits");
      for (const c of [...git.commits].reverse()) {
        const item = el("li", "git-commit");
        item.dataset.commit = c.hash;
        item.append(el("code", "", c.hash.slice(0, 7)), el("span", "git-msg", c.message.split("\n")[0]));
        const files = c.files.length;
        item.append(el("span", "git-when", `${files} file${files === 1 ? "" : "s"} · ${clock(c.t)}`));
        item.title = `${c.message}\n\n${c.files.join("\n")}`;
        list.append(item);
      }
      parts.push(list);
    }
    this.gitEl.replaceChildren(...parts);
  }

  // ── clipboard ──────────────────────────────────────────────────────────────────────────

  async #copy(text, button, done) {
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = el("textarea");
      area.value = text;
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = done;
    setTimeout(() => {
      button.textContent = label;
    }, 1500);
  }

  #copyText() {
    const text = this.current ? this.state.text(this.current) : null;
    if (text !== null) this.#copy(text, this.copyEl, "Copied");
  }

  #copyLink() {
    const link = this.permalink();
    if (link) this.#copy(link, this.linkEl, "Link copied");
  }
}
