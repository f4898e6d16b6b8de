/**
 * The audience's markdown subset (the same as server/audience/markdown.py), rendered into DOM
 * nodes: fenced code blocks (highlighted), inline code, http(s) links, **bold**, *italic*,
 * @mentions, line breaks. Everything else is text.
 *
 * Text never becomes HTML here: every piece of the input is placed with textContent, and
 * links are made with createElement after checking their address is http or https. The one
 * HTML string, highlight.js's output for a code block, passes through DOMPurify (allowing
 * only <span class>) before it is inserted.
 */

import hljs from "../vendor/highlight/core.min.js";
import bash from "../vendor/highlight/lang-bash.min.js";
import javascript from "../vendor/highlight/lang-javascript.min.js";
import json from "../vendor/highlight/lang-json.min.js";
import python from "../vendor/highlight/lang-python.min.js";
import rust from "../vendor/highlight/lang-rust.min.js";
import sql from "../vendor/highlight/lang-sql.min.js";
import DOMPurify from "../vendor/dompurify/purify.es.mjs";

const LANGS = { bash, sh: bash, shell: bash, javascript, js: javascript, json, python, py: python, rust, sql };
for (const [name, grammar] of Object.entries(LANGS)) {
  if (!hljs.getLanguage(name)) hljs.registerLanguage(name, grammar);
}

export const REL = "nofollow noopener noreferrer";
const FENCE = /^```\s*([A-Za-z0-9_+-]{0,20})\s*$/;
const INLINE = new RegExp(
  [
    "`(?<code>[^`\\n]+)`",
    "\\[(?<label>[^\\]\\n]{1,200})\\]\\((?<href>[^\\s()<>]{1,2000})\\)",
    "(?<url>https?://[^\\s<>\"'`]+)",
    "\\*\\*(?<bold>[^*\\n]+)\\*\\*",
    "\\*(?<em>[^*\\n]+)\\*",
    "(?<![\\w@])@(?<mention>[\\p{L}\\p{N}_][\\p{L}\\p{N}_.-]{1,23})",
  ].join("|"),
  "giu",
);
const TRAILING = ".,;:!?)]}'\"";

/** `url` if it is an absolute http(s) address with a host and nothing odd in it, else null. */
export function safeUrl(url) {
  if (/[\u0000-\u0020\\<>"'`]/.test(url)) return null;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  if (!parsed.hostname) return null;
  return parsed.href;
}

function link(href, label) {
  const a = document.createElement("a");
  a.href = href;
  a.rel = REL;
  a.target = "_blank";
  a.textContent = label;
  return a;
}

function inline(text, into) {
  let pos = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > pos) into.append(text.slice(pos, m.index));
    pos = m.index + m[0].length;
    const g = m.groups;
    if (g.code !== undefined) {
      const code = document.createElement("code");
      code.textContent = g.code;
      into.append(code);
    } else if (g.label !== undefined) {
      const href = safeUrl(g.href);
      into.append(href ? link(href, g.label) : m[0]);
    } else if (g.url !== undefined) {
      let url = g.url;
      let tail = "";
      while (url && TRAILING.includes(url[url.length - 1])) {
        tail = url[url.length - 1] + tail;
        url = url.slice(0, -1);
      }
      const href = safeUrl(url);
      into.append(href ? link(href, url) : url, tail);
    } else if (g.bold !== undefined) {
      const b = document.createElement("strong");
      inline(g.bold, b);
      into.append(b);
    } else if (g.em !== undefined) {
      const i = document.createElement("em");
      inline(g.em, i);
      into.append(i);
    } else {
      const span = document.createElement("span");
      span.className = "mention";
      span.textContent = "@" + g.mention;
      into.append(span);
    }
  }
  if (pos < text.length) into.append(text.slice(pos));
}

function codeBlock(lang, code) {
  const pre = document.createElement("pre");
  const el = document.createElement("code");
  el.className = "hljs";
  if (lang && hljs.getLanguage(lang) && code.length < 20_000) {
    const html = hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
    el.innerHTML = DOMPurify.sanitize(html, { ALLOWED_TAGS: ["span"], ALLOWED_ATTR: ["class"] });
  } else {
    el.textContent = code;
  }
  pre.append(el);
  return pre;
}

/** The markdown subset of `text` as a DocumentFragment. */
export function render(text) {
  const out = document.createDocumentFragment();
  const lines = String(text).split("\n");
  let para = [];
  const flush = () => {
    if (!para.length) return;
    const p = document.createElement("p");
    para.forEach((line, i) => {
      if (i) p.append(document.createElement("br"));
      inline(line, p);
    });
    out.append(p);
    para = [];
  };
  for (let i = 0; i < lines.length; ) {
    const fence = FENCE.exec(lines[i]);
    if (fence) {
      flush();
      let end = i + 1;
      while (end < lines.length && !FENCE.test(lines[end])) end += 1;
      out.append(codeBlock(fence[1].toLowerCase(), lines.slice(i + 1, end).join("\n")));
      i = end + 1;
      continue;
    }
    if (lines[i].trim()) para.push(lines[i]);
    else flush();
    i += 1;
  }
  flush();
  return out;
}
