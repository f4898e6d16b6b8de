/**
 * One page of a PDF, drawn with pdf.js: the page on a canvas, its text layer (real,
 * selectable text) above it, and highlights drawn over the text they quote. Shared by the
 * viewer's paper panel (paper.js) and the streamer's reader (paper-reader.js).
 *
 * PDFs are loaded from /blobs/{sha256} with pdf.js scripting off: nothing in a paper runs.
 *
 * Anchors (docs/papers.md) follow the W3C Web Annotation selectors: the page, the quote with
 * up to 32 characters before and after it, and its position in the page's text. Positions
 * count code points (a browser counts UTF-16 units; these are converted), over the page's
 * text as the text layer holds it: its text nodes in order, a line break as "\n".
 */

const CONTEXT = 32;
const docs = new Map();
// pdf.js is loaded with the first paper: a stream without one never downloads it.
let pdfjs = null;

async function library() {
  if (!pdfjs) {
    pdfjs = await import("../vendor/pdfjs/pdf.min.mjs");
    pdfjs.GlobalWorkerOptions.workerSrc = "/static/vendor/pdfjs/pdf.worker.min.mjs";
  }
  return pdfjs;
}

/** Load (once) the PDF stored as blob `hash`. */
export function loadPaper(hash) {
  if (!docs.has(hash)) {
    const loading = library().then((lib) => open(lib, hash));
    loading.catch(() => docs.delete(hash)); // a failed load is tried again next time
    docs.set(hash, loading);
  }
  return docs.get(hash);
}

function open(lib, hash) {
  // Scripting stays off: no eval, no XFA forms, and no annotation layer (links, widgets).
  return lib.getDocument({
    url: `/blobs/${hash}`,
    isEvalSupported: false,
    enableXfa: false,
    standardFontDataUrl: "/static/vendor/pdfjs/standard_fonts/",
  }).promise;
}

/** Code points in `s` (a browser's strings count UTF-16 units). */
export const cpLength = (s) => Array.from(s).length;

/** Where `quote` is in `text`, as code-point offsets [start, end], or null (see
 * replay/annotations.py reanchor: the same rule). */
export function reanchor(text, { quote, prefix = "", suffix = "", start = 0, end = 0 }) {
  const cps = Array.from(text);
  if (quote && cps.slice(start, end).join("") === quote) return [start, end];
  if (!quote) return null;
  let best = null;
  let i = text.indexOf(quote);
  while (i >= 0) {
    const before = text.slice(Math.max(0, i - prefix.length), i);
    const after = text.slice(i + quote.length, i + quote.length + suffix.length);
    const at = cpLength(text.slice(0, i));
    const score = commonSuffix(before, prefix) + commonPrefix(after, suffix);
    const key = [score, -Math.abs(at - start)];
    if (!best || key[0] > best.key[0] || (key[0] === best.key[0] && key[1] > best.key[1])) {
      best = { key, at };
    }
    i = text.indexOf(quote, i + 1);
  }
  return best ? [best.at, best.at + cpLength(quote)] : null;
}

function commonPrefix(a, b) {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

function commonSuffix(a, b) {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

export class PaperView extends EventTarget {
  /** @param {HTMLElement} host where the page goes (it scrolls) */
  constructor(host) {
    super();
    this.host = host;
    this.host.classList.add("paper-scroll");
    this.sheet = document.createElement("div");
    this.sheet.className = "paper-page";
    this.canvas = document.createElement("canvas");
    this.canvas.className = "paper-canvas";
    this.textLayer = document.createElement("div");
    this.textLayer.className = "textLayer";
    this.marks = document.createElement("div");
    this.marks.className = "paper-marks";
    this.sheet.append(this.canvas, this.marks, this.textLayer);
    this.host.append(this.sheet);
    this.hash = null;
    this.doc = null;
    this.page = 0;
    this.pages = 0;
    this.text = "";
    this.segments = [];
    this.highlights = [];
    this.drawing = Promise.resolve();
    this.token = 0;
  }

  /** Show page `page` of paper `hash` (loading it if needed); resolves once drawn. */
  show(hash, page) {
    const token = ++this.token;
    // A failed draw (a PDF that cannot be read) must not stop the next one.
    const next = this.drawing.catch(() => {}).then(() => (token === this.token ? this.#draw(hash, page) : null));
    this.drawing = next;
    return next;
  }

  async #draw(hash, page) {
    const pdfjs = await library();
    if (hash !== this.hash || !this.doc) {
      this.hash = null;
      this.doc = null;
      this.page = 0;
      const doc = await loadPaper(hash);
      this.hash = hash;
      this.doc = doc;
      this.pages = doc.numPages;
    }
    page = Math.min(Math.max(1, page), this.pages);
    if (page === this.page && this.drawnWidth === this.#width()) {
      this.#drawMarks();
      return;
    }
    const pdfPage = await this.doc.getPage(page);
    const width = this.#width();
    const base = pdfPage.getViewport({ scale: 1 });
    const scale = width / base.width;
    const viewport = pdfPage.getViewport({ scale });
    const ratio = window.devicePixelRatio || 1;
    const canvas = document.createElement("canvas");
    canvas.className = "paper-canvas";
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = `${Math.floor(viewport.width)}px`;
    canvas.style.height = `${Math.floor(viewport.height)}px`;
    await pdfPage.render({
      canvas,
      canvasContext: canvas.getContext("2d"),
      viewport,
      transform: ratio === 1 ? null : [ratio, 0, 0, ratio, 0, 0],
      annotationMode: pdfjs.AnnotationMode.DISABLE,
    }).promise;
    const layer = document.createElement("div");
    layer.className = "textLayer";
    this.sheet.style.setProperty("--total-scale-factor", String(scale));
    this.sheet.style.setProperty("--scale-round-x", "1px");
    this.sheet.style.setProperty("--scale-round-y", "1px");
    this.sheet.style.width = `${Math.floor(viewport.width)}px`;
    this.sheet.style.height = `${Math.floor(viewport.height)}px`;
    const tl = new pdfjs.TextLayer({
      textContentSource: pdfPage.streamTextContent({ includeMarkedContent: false }),
      container: layer,
      viewport,
    });
    await tl.render();
    this.canvas.replaceWith(canvas);
    this.canvas = canvas;
    this.textLayer.replaceWith(layer);
    this.textLayer = layer;
    this.page = page;
    this.drawnWidth = width;
    this.#readText();
    this.#drawMarks();
    this.dispatchEvent(new CustomEvent("page", { detail: { page, pages: this.pages } }));
  }

  #width() {
    return Math.max(320, Math.min(this.host.clientWidth - 24, 1100));
  }

  /** Redraw at the current width (after the panel was resized or shown). */
  refit() {
    if (this.hash && this.page && this.drawnWidth !== this.#width()) {
      const page = this.page;
      this.page = 0;
      return this.show(this.hash, page);
    }
    return this.drawing;
  }

  #readText() {
    const segs = [];
    const walk = document.createTreeWalker(this.textLayer, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    let pos = 0;
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      if (n.nodeType === Node.TEXT_NODE) {
        segs.push({ node: n, text: n.data, at: pos });
        pos += n.data.length;
      } else if (n.nodeName === "BR") {
        segs.push({ node: n, text: "\n", at: pos, br: true });
        pos += 1;
      }
    }
    this.segments = segs;
    this.text = segs.map((s) => s.text).join("");
  }

  /** The UTF-16 offset in this.text of a DOM boundary point inside the text layer. */
  #offsetOf(container, offset) {
    const point = document.createRange();
    point.setStart(container, offset);
    for (const seg of this.segments) {
      if (seg.node === container) return seg.at + (seg.br ? 0 : offset);
      if (point.comparePoint(seg.node, 0) >= 0) return seg.at;
    }
    return this.text.length;
  }

  /** The DOM boundary point at UTF-16 offset `u` of this.text. */
  #pointAt(u) {
    for (const seg of this.segments) {
      if (seg.br) continue;
      if (u <= seg.at + seg.text.length && u >= seg.at) return [seg.node, u - seg.at];
      if (seg.at > u) return [seg.node, 0];
    }
    const last = this.segments.filter((s) => !s.br).at(-1);
    return last ? [last.node, last.text.length] : null;
  }

  /** The selection inside this page as an anchor {page, quote, prefix, suffix, start, end}
   * (code points), or null if nothing on the page is selected. */
  selection() {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    if (!this.textLayer.contains(range.commonAncestorContainer)) return null;
    let a = this.#offsetOf(range.startContainer, range.startOffset);
    let b = this.#offsetOf(range.endContainer, range.endOffset);
    // Leading and trailing white space is not part of a quote.
    while (a < b && /\s/.test(this.text[a])) a++;
    while (b > a && /\s/.test(this.text[b - 1])) b--;
    if (b <= a) return null;
    const quote = this.text.slice(a, b);
    const start = cpLength(this.text.slice(0, a));
    return {
      paper: this.hash,
      page: this.page,
      quote,
      prefix: Array.from(this.text.slice(Math.max(0, a - 2 * CONTEXT), a)).slice(-CONTEXT).join(""),
      suffix: Array.from(this.text.slice(b, b + 2 * CONTEXT)).slice(0, CONTEXT).join(""),
      start,
      end: start + cpLength(quote),
    };
  }

  /** Highlights to draw (those of this paper; each drawn on its own page). */
  setHighlights(list) {
    this.highlights = list;
    this.#drawMarks();
  }

  /** Where highlight `h` is on the current page, as UTF-16 offsets [a, b], or null. */
  locate(h) {
    const found = reanchor(this.text, h);
    if (!found) return null;
    const cps = Array.from(this.text);
    const a = cps.slice(0, found[0]).join("").length;
    return [a, a + cps.slice(found[0], found[1]).join("").length];
  }

  #drawMarks() {
    this.marks.replaceChildren();
    if (!this.page) return;
    const origin = this.sheet.getBoundingClientRect();
    for (const h of this.highlights) {
      if (h.paper !== this.hash || h.page !== this.page) continue;
      const at = this.locate(h);
      if (!at) continue;
      const from = this.#pointAt(at[0]);
      const to = this.#pointAt(at[1]);
      if (!from || !to) continue;
      const range = document.createRange();
      range.setStart(...from);
      range.setEnd(...to);
      for (const r of range.getClientRects()) {
        if (r.width < 1 || r.height < 1) continue;
        const box = document.createElement("div");
        box.className = `paper-mark${h.kind ? ` is-${h.kind}` : ""}`;
        box.dataset.highlight = h.id;
        Object.assign(box.style, {
          left: `${r.left - origin.left}px`,
          top: `${r.top - origin.top}px`,
          width: `${r.width}px`,
          height: `${r.height}px`,
        });
        this.marks.append(box);
      }
    }
  }

  /** How far down the page the view is scrolled, 0 to 1. */
  scrollFraction() {
    const room = this.host.scrollHeight - this.host.clientHeight;
    return room > 0 ? Math.min(1, Math.max(0, this.host.scrollTop / room)) : 0;
  }

  scrollTo(fraction) {
    const room = this.host.scrollHeight - this.host.clientHeight;
    this.host.scrollTop = Math.round(room * fraction);
  }
}
