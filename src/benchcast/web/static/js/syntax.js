/**
 * Syntax highlighting for the code panel (highlight.js, vendored), and the renderers for files
 * that are read rather than scanned: markdown (marked, then DOMPurify) and notebooks (cells).
 *
 * `highlightLines(text, language)` returns one HTML string per line, each balanced on its own
 * (a token spanning lines, like a docstring, is closed at each line's end and reopened on the
 * next), so the panel can put line numbers and comments beside every line.
 */

import hljs from "../vendor/highlight/core.min.js";
import bash from "../vendor/highlight/lang-bash.min.js";
import c from "../vendor/highlight/lang-c.min.js";
import cpp from "../vendor/highlight/lang-cpp.min.js";
import css from "../vendor/highlight/lang-css.min.js";
import diff from "../vendor/highlight/lang-diff.min.js";
import dockerfile from "../vendor/highlight/lang-dockerfile.min.js";
import go from "../vendor/highlight/lang-go.min.js";
import ini from "../vendor/highlight/lang-ini.min.js";
import javascript from "../vendor/highlight/lang-javascript.min.js";
import json from "../vendor/highlight/lang-json.min.js";
import julia from "../vendor/highlight/lang-julia.min.js";
import makefile from "../vendor/highlight/lang-makefile.min.js";
import markdown from "../vendor/highlight/lang-markdown.min.js";
import plaintext from "../vendor/highlight/lang-plaintext.min.js";
import python from "../vendor/highlight/lang-python.min.js";
import r from "../vendor/highlight/lang-r.min.js";
import rust from "../vendor/highlight/lang-rust.min.js";
import shell from "../vendor/highlight/lang-shell.min.js";
import sql from "../vendor/highlight/lang-sql.min.js";
import typescript from "../vendor/highlight/lang-typescript.min.js";
import xml from "../vendor/highlight/lang-xml.min.js";
import yaml from "../vendor/highlight/lang-yaml.min.js";
import DOMPurify from "../vendor/dompurify/purify.es.mjs";
import { marked } from "../vendor/marked/marked.esm.js";

const GRAMMARS = {
  bash, c, cpp, css, diff, dockerfile, go, ini, javascript, json, julia, makefile, markdown,
  plaintext, python, r, rust, shell, sql, typescript, xml, yaml,
};
for (const [name, grammar] of Object.entries(GRAMMARS)) hljs.registerLanguage(name, grammar);

/** Longest text highlighted; longer files are shown plain (highlighting them stalls a tab). */
const MAX_HIGHLIGHT = 150_000;

/** Mirror of broadcast/sources/filetypes.py: a path's language when an event did not say. */
const BY_EXTENSION = {
  py: "python", pyi: "python", sh: "bash", bash: "bash", zsh: "bash", js: "javascript",
  mjs: "javascript", cjs: "javascript", jsx: "javascript", ts: "typescript", tsx: "typescript",
  mts: "typescript", c: "c", h: "c", cc: "cpp", cpp: "cpp", cxx: "cpp", hpp: "cpp", hh: "cpp",
  hxx: "cpp", cu: "cpp", cuh: "cpp", rs: "rust", go: "go", jl: "julia", r: "r", yml: "yaml",
  yaml: "yaml", toml: "toml", ini: "ini", cfg: "ini", json: "json", md: "markdown",
  markdown: "markdown", ipynb: "ipynb", css: "css", html: "xml", xml: "xml", svg: "xml",
  sql: "sql", diff: "diff", patch: "diff", mk: "makefile",
};
const BY_NAME = { Makefile: "makefile", makefile: "makefile", Dockerfile: "dockerfile" };
const LABELS = {
  python: "Python", bash: "Shell", shell: "Shell", javascript: "JavaScript",
  typescript: "TypeScript", c: "C", cpp: "C++", rust: "Rust", go: "Go", julia: "Julia", r: "R",
  yaml: "YAML", toml: "TOML", ini: "INI", json: "JSON", markdown: "Markdown",
  ipynb: "Notebook", css: "CSS", xml: "HTML/XML", sql: "SQL", diff: "Diff",
  makefile: "Makefile", dockerfile: "Dockerfile",
};

export function languageFor(path, given = "") {
  if (given) return given;
  const name = path.split("/").pop();
  if (BY_NAME[name]) return BY_NAME[name];
  const dot = name.lastIndexOf(".");
  return dot > 0 ? BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? "" : "";
}

export function languageLabel(language) {
  return LABELS[language] ?? "Plain text";
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" };
export function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

/** Split highlight.js HTML into lines, closing and reopening spans at each newline. */
function splitHtml(html) {
  const lines = [];
  const open = [];
  let line = "";
  const token = /<span[^>]*>|<\/span>|\n|[^<\n]+/g;
  let m;
  while ((m = token.exec(html)) !== null) {
    const t = m[0];
    if (t === "\n") {
      lines.push(line + "</span>".repeat(open.length));
      line = open.join("");
    } else if (t.startsWith("<span")) {
      open.push(t);
      line += t;
    } else if (t === "</span>") {
      open.pop();
      line += t;
    } else {
      line += t;
    }
  }
  lines.push(line + "</span>".repeat(open.length));
  return lines;
}

/** One HTML string per line of `text` (split on "\n"), highlighted when the language is known. */
export function highlightLines(text, language) {
  const lang = language === "toml" ? "ini" : language;
  if (lang && lang !== "ipynb" && hljs.getLanguage(lang) && text.length <= MAX_HIGHLIGHT) {
    try {
      return splitHtml(hljs.highlight(text, { language: lang, ignoreIllegals: true }).value);
    } catch {
      // fall through to plain text
    }
  }
  return text.split("\n").map(escapeHtml);
}

/** Markdown as sanitized HTML: nothing from the file can run script in the page. */
export function renderMarkdown(text) {
  const html = marked.parse(text, { async: false, gfm: true });
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ["style", "form"] });
}

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

function joinText(value) {
  return Array.isArray(value) ? value.join("") : String(value ?? "");
}

/**
 * A notebook (.ipynb JSON) as an element of cells: markdown rendered, code highlighted, text,
 * errors and PNG/JPEG images from its outputs. Throws if the text is not a notebook (the
 * panel then shows the source).
 */
export function renderNotebook(text) {
  const nb = JSON.parse(text);
  if (!nb || !Array.isArray(nb.cells)) throw new Error("not a notebook");
  const lang = nb.metadata?.kernelspec?.language ?? nb.metadata?.language_info?.name ?? "python";
  const root = document.createElement("div");
  root.className = "nb";
  nb.cells.forEach((cell, i) => {
    const el = document.createElement("section");
    el.className = `nb-cell nb-${cell.cell_type}`;
    el.dataset.cell = String(i);
    const source = joinText(cell.source);
    if (cell.cell_type === "markdown") {
      const body = document.createElement("div");
      body.className = "md";
      body.innerHTML = renderMarkdown(source);
      el.append(body);
    } else {
      const prompt = document.createElement("div");
      prompt.className = "nb-prompt";
      prompt.textContent = cell.cell_type === "code" ? `[${cell.execution_count ?? " "}]` : "";
      const pre = document.createElement("pre");
      pre.className = "nb-source hljs";
      pre.innerHTML = highlightLines(source, cell.cell_type === "code" ? lang : "").join("\n");
      el.append(prompt, pre);
      for (const out of cell.outputs ?? []) el.append(renderOutput(out));
    }
    root.append(el);
  });
  return root;
}

function renderOutput(out) {
  const box = document.createElement("div");
  box.className = `nb-output nb-${out.output_type}`;
  if (out.output_type === "stream") {
    const pre = document.createElement("pre");
    pre.textContent = joinText(out.text).replace(ANSI, "");
    box.append(pre);
  } else if (out.output_type === "error") {
    const pre = document.createElement("pre");
    pre.className = "nb-error";
    pre.textContent = (out.traceback ?? [`${out.ename}: ${out.evalue}`]).join("\n").replace(ANSI, "");
    box.append(pre);
  } else {
    const data = out.data ?? {};
    const image = ["image/png", "image/jpeg"].find((mime) => data[mime]);
    const b64 = image ? joinText(data[image]).replace(/\s/g, "") : "";
    if (image && /^[A-Za-z0-9+/]+=*$/.test(b64)) {
      const img = document.createElement("img");
      img.alt = "cell output";
      img.src = `data:${image};base64,${b64}`;
      box.append(img);
    } else if (data["text/markdown"]) {
      const md = document.createElement("div");
      md.className = "md";
      md.innerHTML = renderMarkdown(joinText(data["text/markdown"]));
      box.append(md);
    } else if (data["text/plain"]) {
      const pre = document.createElement("pre");
      pre.textContent = joinText(data["text/plain"]);
      box.append(pre);
    }
  }
  return box;
}
