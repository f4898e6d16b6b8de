/**
 * The notebook panel: a notebook as it grows, cell by cell, from `nb.cell` events (the IPython
 * extension, `%load_ext benchcast`): each cell's source highlighted, its execution count and
 * duration, and its outputs — text, stdout/stderr, markdown and HTML (sanitized again here
 * with DOMPurify, whatever the streamer's machine did), images from /blobs, errors with their
 * traceback. Cells are shown in the order they last ran, like the kernel saw them; the view
 * follows the newest cell unless the viewer scrolled up.
 *
 * A cell can be commented on (anchor {notebook, cell}): the comments show under it.
 */

import DOMPurify from "../vendor/dompurify/purify.es.mjs";
import { icon } from "./icons.js";
import { highlightLines, renderMarkdown } from "./syntax.js";
import { blobImage, el } from "./ui.js";

/** What HTML outputs may keep: markup and tables; no script, style, forms, frames or media. */
const HTML_POLICY = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed",
    "link", "meta", "base", "video", "audio", "source", "track", "picture", "template", "dialog"],
  FORBID_ATTR: ["style", "srcset"],
  ALLOW_DATA_ATTR: false,
};

/** BLOB or inline image addresses: the only images an output may load. */
const SAFE_IMAGE = /^(\/blobs\/[0-9a-f]{64}|data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+)$/;

// A DOMPurify of our own, so its hooks touch no other panel's sanitizing. The hooks run in
// DOMPurify's inert document: an image from elsewhere loses its address before any page
// element exists (no request, no tracking pixel), and links open elsewhere without telling
// where they came from.
const purify = DOMPurify(window);
purify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "IMG" && !SAFE_IMAGE.test(node.getAttribute("src") ?? "")) {
    node.removeAttribute("src");
  }
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "nofollow noopener noreferrer");
  }
});

function sanitized(html, className) {
  const box = el("div", { class: className });
  box.innerHTML = purify.sanitize(html, HTML_POLICY);
  for (const img of box.querySelectorAll("img:not([src])")) img.remove();
  return box;
}

/** An HTML output, sanitized again here, whatever the streamer's machine did. */
export function safeHtml(html) {
  return sanitized(html, "nbv-html");
}

function secs(d) {
  if (d === null || d === undefined) return "";
  if (d < 1) return `${Math.round(d * 1000)} ms`;
  if (d < 60) return `${d.toFixed(1)} s`;
  return `${Math.floor(d / 60)} min ${Math.round(d % 60)} s`;
}

function output(o) {
  switch (o.type) {
    case "stream":
      return el("pre", { class: `nbv-out nbv-stream${o.name === "stderr" ? " is-stderr" : ""}`, text: o.text });
    case "text":
      return el("pre", { class: "nbv-out nbv-text", text: o.text });
    case "markdown": {
      return sanitized(renderMarkdown(o.text), "nbv-out nbv-md");
    }
    case "html": {
      const box = safeHtml(o.html);
      box.classList.add("nbv-out");
      return box;
    }
    case "image":
      return el("div", { class: "nbv-out nbv-image" },
        blobImage(o.blob, "cell output", o.width, o.height));
    case "error":
      return el("div", { class: "nbv-out nbv-err" },
        el("div", { class: "nbv-err-head" }, el("b", { text: o.ename }), o.evalue ? `: ${o.evalue}` : ""),
        o.traceback ? el("pre", { class: "nbv-err-tb", text: o.traceback }) : "");
    default:
      return el("pre", { class: "nbv-out nbv-text", text: JSON.stringify(o) });
  }
}

export class NotebookPanel {
  constructor({ layout, player }) {
    this.layout = layout;
    this.player = player;
    this.notebooks = new Map(); // name → {cells: Map id → cell, order: [id]}
    this.current = null;
    this.comments = new Map();
    this.added = false;
    this.follow = true;
    this.frame = 0;
    this.rendered = new Map(); // cell id → {element, seq, comments}
    this.select = el("select", { class: "nbv-pick", "aria-label": "Notebook", hidden: true });
    this.select.addEventListener("change", () => {
      this.current = this.select.value;
      this.rendered.clear();
      this.list.replaceChildren();
      this.#schedule();
    });
    this.nameEl = el("span", { class: "nbv-name" });
    this.countEl = el("span", { class: "nbv-count" });
    this.followBtn = el("button", { type: "button", class: "rbtn nbv-follow is-on", "aria-pressed": "true", text: "Follow",
      title: "Keep the newest cell in view", onclick: () => this.#setFollow(!this.follow) });
    this.list = el("div", { class: "nbv-cells" });
    this.scroller = el("div", { class: "nbv-scroll" }, this.list);
    this.scroller.addEventListener("scroll", () => {
      const atEnd = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 40;
      if (!atEnd && this.follow && !this.autoScrolling) this.#setFollow(false);
      else if (atEnd && !this.follow) this.#setFollow(true);
    });
    this.element = el("section", { class: "nbv", "aria-label": "Notebook" },
      el("header", { class: "nbv-bar" },
        el("span", { class: "nbv-icon", "aria-hidden": "true", text: "▤" }), this.nameEl, this.select, this.countEl,
        el("span", { class: "nbv-spacer" }), this.followBtn),
      this.scroller);
    layout.addEventListener("viewchange", (e) => {
      if (e.detail === "notebook") {
        layout.flag("notebook", false);
        this.#schedule();
      }
    });
  }

  #setFollow(on) {
    this.follow = on;
    this.followBtn.classList.toggle("is-on", on);
    this.followBtn.setAttribute("aria-pressed", String(on));
    if (on) this.#scrollEnd();
  }

  #ensureView() {
    if (this.added) return;
    this.added = true;
    this.layout.addView({ id: "notebook", title: "Notebook", element: this.element });
  }

  reset(state) {
    this.notebooks.clear();
    for (const [name, nb] of Object.entries(state?.notebooks ?? {})) {
      this.notebooks.set(name, { cells: new Map(Object.entries(nb.cells)), order: [...nb.order] });
    }
    this.comments.clear();
    for (const c of state?.audience?.comments ?? []) if (c.anchor?.notebook) this.comments.set(c.id, c);
    if (this.notebooks.size) this.#ensureView();
    this.rendered.clear();
    this.list.replaceChildren();
    this.#schedule();
  }

  apply(ev) {
    const d = ev.data;
    if (ev.kind === "nb.cell") {
      let nb = this.notebooks.get(d.notebook);
      if (!nb) this.notebooks.set(d.notebook, (nb = { cells: new Map(), order: [] }));
      const i = nb.order.indexOf(d.cell);
      if (i >= 0) nb.order.splice(i, 1);
      nb.order.push(d.cell);
      nb.cells.set(d.cell, { seq: ev.seq, t: ev.t, ...d });
      while (nb.order.length > 200) nb.cells.delete(nb.order.shift());
      this.#ensureView();
      if (!this.current || this.current === d.notebook) this.layout.flag("notebook");
    } else if (ev.kind === "comment" && d.anchor?.notebook && !d.hidden) {
      this.comments.set(d.id, { ...d, seq: ev.seq, t: ev.t });
    } else if (ev.kind === "chat.delete" && this.comments.has(d.id)) {
      this.comments.delete(d.id);
    } else {
      return;
    }
    this.#schedule();
  }

  #schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.#render();
    });
  }

  #render() {
    if (!this.added || this.element.hidden) return;
    const names = [...this.notebooks.keys()];
    if (!this.current || !this.notebooks.has(this.current)) this.current = names.at(-1) ?? null;
    this.select.hidden = names.length < 2;
    this.nameEl.hidden = names.length >= 2;
    this.select.replaceChildren(...names.map((n) => el("option", { value: n, text: n })));
    if (this.current) this.select.value = this.current;
    this.nameEl.textContent = this.current ?? "";
    const nb = this.notebooks.get(this.current);
    if (!nb) return;
    this.countEl.textContent = `${nb.order.length} ${nb.order.length === 1 ? "cell" : "cells"}`;
    const want = new Set(nb.order);
    for (const [id, r] of this.rendered) {
      if (!want.has(id)) {
        r.element.remove();
        this.rendered.delete(id);
      }
    }
    let changed = false;
    for (const id of nb.order) {
      const cell = nb.cells.get(id);
      const comments = [...this.comments.values()].filter((c) => c.anchor.notebook === this.current && c.anchor.cell === id);
      const sig = comments.map((c) => c.id).join(",");
      let r = this.rendered.get(id);
      if (!r || r.seq !== cell.seq || r.comments !== sig) {
        const element = this.#cell(cell, comments);
        if (r) r.element.replaceWith(element);
        r = { element, seq: cell.seq, comments: sig };
        this.rendered.set(id, r);
        changed = true;
      }
      this.list.append(r.element); // moves it to its place in the order
    }
    if (changed && this.follow) this.#scrollEnd();
  }

  #scrollEnd() {
    this.autoScrolling = true;
    this.scroller.scrollTop = this.scroller.scrollHeight;
    requestAnimationFrame(() => {
      this.autoScrolling = false;
    });
  }

  #cell(cell, comments) {
    const status = cell.status ?? "ok";
    const src = el("pre", { class: "nbv-src hljs" });
    src.innerHTML = highlightLines(cell.source ?? "", "python").join("\n");
    const meta = [];
    if (status === "running") meta.push(el("span", { class: "nbv-running", text: "running" }));
    else if (cell.duration !== null && cell.duration !== undefined) meta.push(el("span", { class: "nbv-dur", text: secs(cell.duration) }));
    const outs = (cell.outputs ?? []).map(output);
    if (cell.truncated) outs.push(el("p", { class: "nbv-trunc", text: `… ${cell.truncated.toLocaleString("en-US")} more characters of output were not streamed` }));
    const notes = comments.length
      ? el("ul", { class: "nbv-comments" }, ...comments.map((c) => el("li", { class: "nbv-comment", "data-comment": c.id },
        el("b", { text: c.name ?? "someone" }), el("span", { text: c.text ?? "" }))))
      : "";
    return el("article", { class: `nbv-cell st-${status}`, "data-cell": cell.cell, "data-status": status },
      el("div", { class: "nbv-gutter" },
        el("span", { class: "nbv-prompt", text: `[${status === "running" ? "*" : cell.execution_count ?? " "}]` }),
        el("span", { class: "nbv-meta" }, el("i", { class: "nbv-dot", title: status }), ...meta),
        el("button", { type: "button", class: `nbv-comment-btn${comments.length ? " has-comments" : ""}`, title: "Comment on this cell",
          "aria-label": `Comment on cell ${cell.cell}`, onclick: () => this.#comment({ notebook: this.current, cell: cell.cell }) },
        icon("comment"), comments.length ? String(comments.length) : "")),
      el("div", { class: "nbv-main" },
        el("div", { class: "nbv-srcbox" }, src),
        outs.length ? el("div", { class: "nbv-outs" }, ...outs) : "",
        notes));
  }

  #comment(anchor) {
    if (!this.player.stream.live) return;
    document.dispatchEvent(new CustomEvent("benchcast:report", { detail: { anchor, kind: "question" } }));
  }
}
