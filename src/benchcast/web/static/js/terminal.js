/**
 * The terminal panel: one xterm.js terminal per terminal source of the stream ("term:1", …),
 * at the streamer's size, scaled to fit the page.
 *
 * Scaling is done with the font size, not a CSS transform: xterm.js maps mouse positions to
 * cells with unscaled cell sizes, so under `transform: scale()` selecting text picks the wrong
 * characters (xtermjs/xterm.js#3242, #6023; its maintainers recommend the font size). The
 * text stays real text the viewer can select and copy.
 *
 * Panel contract (see player.js): reset(state | null) shows a keyframe's `terms`; apply(ev)
 * handles term.open / term.output / term.resize / term.close.
 */

import { Terminal } from "../vendor/xterm/xterm.mjs";

const FONT_FAMILY =
  '"JetBrains Mono", "Cascadia Mono", "Fira Code", "SF Mono", Menlo, Consolas, ' +
  '"DejaVu Sans Mono", "Liberation Mono", monospace';
const FONT_MIN = 6;
const FONT_MAX = 22;
const FONT_START = 15;

/** Colours tuned for text on a dark page; the 16 ANSI colours stay recognisable. */
export const THEME = {
  background: "#0b0e14",
  foreground: "#d6dbe4",
  cursor: "#9aa5b8",
  cursorAccent: "#0b0e14",
  selectionBackground: "#33507a",
  scrollbarSliderBackground: "rgba(141, 151, 168, 0.16)",
  scrollbarSliderHoverBackground: "rgba(141, 151, 168, 0.32)",
  scrollbarSliderActiveBackground: "rgba(141, 151, 168, 0.45)",
  black: "#1c212b",
  red: "#f07178",
  green: "#aad94c",
  yellow: "#e6b450",
  blue: "#59c2ff",
  magenta: "#d2a6ff",
  cyan: "#95e6cb",
  white: "#c7ccd6",
  brightBlack: "#5c6773",
  brightRed: "#ff8f95",
  brightGreen: "#c2f26b",
  brightYellow: "#ffd173",
  brightBlue: "#7fd3ff",
  brightMagenta: "#e0c2ff",
  brightCyan: "#b5f4df",
  brightWhite: "#f3f4f5",
};

/** One terminal source: an xterm.js instance and the frame around it. */
export class TerminalView {
  constructor(parent, source) {
    this.source = source;
    this.el = document.createElement("section");
    this.el.className = "term";
    this.el.dataset.source = source;
    this.el.innerHTML = `
      <div class="term-bar">
        <span class="term-title"></span>
        <span class="term-state"></span>
        <span class="term-size"></span>
      </div>
      <div class="term-host"></div>`;
    parent.append(this.el);
    this._title = this.el.querySelector(".term-title");
    this._state = this.el.querySelector(".term-state");
    this._size = this.el.querySelector(".term-size");
    this.host = this.el.querySelector(".term-host");

    this.term = new Terminal({
      cols: 80,
      rows: 24,
      fontFamily: FONT_FAMILY,
      fontSize: FONT_START,
      lineHeight: 1.15,
      theme: THEME,
      disableStdin: true, // viewers watch; nothing they type goes anywhere
      cursorBlink: false,
      cursorStyle: "block",
      cursorInactiveStyle: "block", // the viewer's terminal never has focus; show the cursor
      scrollback: 2000,
      allowProposedApi: false,
      convertEol: false,
    });
    this.term.open(this.host);
    // xterm.js draws no cursor until the terminal has had focus or input, and a viewer's never
    // does. Entering and leaving the alternate screen marks the cursor as shown (a public
    // escape sequence, not a private field); the normal screen is untouched by it.
    this.term.write("\x1b[?47h\x1b[?47l");
    this.describe({ cols: 80, rows: 24, title: "", closed: false });
  }

  /**
   * Run fn after everything written so far has been parsed and before anything written after
   * this call. xterm.js parses writes asynchronously, but reset() and resize() act at once;
   * without this, output queued before a resize would be drawn at the new size.
   */
  _inOrder(fn) {
    this.term.write("", fn);
  }

  /** Show a keyframe's snapshot of this terminal: {cols, rows, title, closed, ansi}. */
  load(snap) {
    this._inOrder(() => {
      this.term.reset();
      this.term.resize(snap.cols, snap.rows);
      this.onSize?.();
    });
    this.term.write(snap.ansi ?? "");
    this.describe(snap);
  }

  /** A blank terminal of the given size (term.open, or the stream before its terminal). */
  open({ cols, rows, title = "" }) {
    this.load({ cols, rows, title, closed: false, ansi: "" });
  }

  write(text) {
    this.term.write(text);
  }

  resize(cols, rows) {
    this._inOrder(() => {
      this.term.resize(cols, rows);
      this.onSize?.();
    });
    this.describe({ cols, rows });
  }

  describe({ cols, rows, title, closed }) {
    if (cols && rows) this._size.textContent = `${cols}×${rows}`;
    if (title !== undefined) {
      this._title.textContent = title || this.source;
      this._title.title = title || this.source;
    }
    if (closed !== undefined) {
      this.el.classList.toggle("closed", closed);
      this._state.textContent = closed ? "exited" : "";
    }
  }

  /** The screen (not the scrollback) as plain text, one line per row, trailing spaces cut. */
  screenText() {
    const buf = this.term.buffer.active;
    const lines = [];
    for (let y = 0; y < this.term.rows; y++) {
      const line = buf.getLine(buf.baseY + y);
      lines.push(line ? line.translateToString(true) : "");
    }
    return lines.join("\n");
  }

  /**
   * Pick the font size at which the terminal fills width × height without overflowing.
   * Cell size is close to proportional to the font size, so one measurement gives the size;
   * a second pass, only ever shrinking, absorbs rounding.
   */
  fit(width, height, pass = 0) {
    const screen = this.term.element?.querySelector(".xterm-screen");
    if (!screen || width <= 0 || height <= 0) return;
    const w = screen.offsetWidth;
    const h = screen.offsetHeight;
    if (!w || !h) return;
    const current = this.term.options.fontSize;
    const ideal = current * Math.min(width / w, height / h);
    let size = Math.floor(ideal * 4) / 4;
    size = Math.min(FONT_MAX, Math.max(FONT_MIN, size));
    if (pass > 0 && size >= current) return;
    if (Math.abs(size - current) < 0.25) return;
    this.term.options.fontSize = size;
    if (pass < 2) requestAnimationFrame(() => this.fit(width, height, pass + 1));
  }

  dispose() {
    this.term.dispose();
    this.el.remove();
  }
}

/**
 * All terminal sources of a stream, stacked. Sources a keyframe no longer has (a seek to
 * before they opened) are hidden, not disposed, so seeking back and forth is cheap.
 */
export class TerminalDeck {
  constructor(stage) {
    this.stage = stage;
    this.views = new Map();
    this.placeholder = stage.querySelector(".stage-empty");
    new ResizeObserver(() => this.fit()).observe(stage);
  }

  /** The first terminal of the stream: what `window.benchcast.term` shows. */
  get primary() {
    for (const v of this.views.values()) if (!v.el.hidden) return v;
    return null;
  }

  _view(source) {
    let view = this.views.get(source);
    if (!view) {
      view = new TerminalView(this.stage, source);
      view.onSize = () => requestAnimationFrame(() => this.fit());
      this.views.set(source, view);
    }
    if (view.el.hidden) view.el.hidden = false;
    this._refresh();
    return view;
  }

  _refresh() {
    const shown = [...this.views.values()].filter((v) => !v.el.hidden).length;
    if (this.placeholder) this.placeholder.hidden = shown > 0;
    this.stage.dataset.terms = String(shown);
  }

  reset(state) {
    const snaps = state?.terms ?? {};
    for (const [source, view] of this.views) {
      if (!(source in snaps)) {
        view.load({ cols: 80, rows: 24, title: "", closed: false, ansi: "" });
        view.el.hidden = true;
      }
    }
    for (const [source, snap] of Object.entries(snaps)) this._view(source).load(snap);
    this._refresh();
  }

  apply(ev) {
    switch (ev.kind) {
      case "term.open":
        this._view(ev.source).open(ev.data);
        break;
      case "term.output":
        this._view(ev.source).write(ev.data.text);
        break;
      case "term.resize":
        this._view(ev.source).resize(ev.data.cols, ev.data.rows);
        break;
      case "term.close":
        this._view(ev.source).describe({ closed: true });
        break;
      default:
        break;
    }
  }

  /** Fit every shown terminal into the stage; stacked terminals share its height. */
  fit() {
    const shown = [...this.views.values()].filter((v) => !v.el.hidden);
    if (!shown.length) return;
    const style = getComputedStyle(this.stage);
    const padX = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const padY = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
    const bar = shown[0].el.querySelector(".term-bar").offsetHeight;
    const host = getComputedStyle(shown[0].host);
    const hostPad = parseFloat(host.paddingLeft) + parseFloat(host.paddingRight);
    const width = this.stage.clientWidth - padX - hostPad;
    const hostPadY = parseFloat(host.paddingTop) + parseFloat(host.paddingBottom);
    const height = (this.stage.clientHeight - padY) / shown.length - bar - hostPadY;
    for (const v of shown) v.fit(width, height);
  }
}
