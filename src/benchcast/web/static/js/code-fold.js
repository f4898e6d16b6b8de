/**
 * The code panel's state, folded from the log: the mirror of replay/code.py (and of
 * benchcast/diffs.py for applying patches), so a viewer that follows live events and one that
 * starts from a keyframe agree on every file's text and every comment's line.
 *
 * Pure: no DOM, no network. `CodeState.apply(ev)` returns what changed (for the panel to
 * redraw) or null for events it does not fold.
 */

const MAX_KEPT_TEXT = 4 * 1024 * 1024;
const MAX_TREE = 50_000;
const MAX_COMMITS = 20;
const MAX_COMMIT_FILES = 50;
const MAX_COMMENTS = 2000;
const RELOCATE_LINES = 200;
const MAX_ANCHOR_LINES = 1000;

const HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** A text's lines, split on "\n" only (as the publisher splits them). */
export function splitLines(text) {
  return text.split("\n");
}

/** Lines a viewer sees: a text ending in a newline has no empty line after it. */
export function shownLines(text) {
  const rows = splitLines(text);
  if (rows.length > 1 && rows[rows.length - 1] === "") rows.pop();
  return rows;
}

function oldIndex(h) {
  return h.oldLen ? h.oldStart - 1 : h.oldStart;
}

/** The hunks of a file.patch diff (docs/protocol.md); throws on anything else. */
export function parseDiff(diff) {
  const rows = diff ? diff.split("\n") : [];
  const hunks = [];
  let lastEnd = 0;
  let i = 0;
  while (i < rows.length) {
    const m = HEADER.exec(rows[i]);
    if (!m) throw new Error(`line ${i + 1} of the diff is not a hunk header`);
    const h = {
      oldStart: Number(m[1]),
      oldLen: m[2] === undefined ? 1 : Number(m[2]),
      newStart: Number(m[3]),
      newLen: m[4] === undefined ? 1 : Number(m[4]),
      removed: [],
      added: [],
    };
    i += 1;
    while (i < rows.length && !rows[i].startsWith("@@")) {
      const row = rows[i];
      if (row.startsWith("-")) h.removed.push(row.slice(1));
      else if (row.startsWith("+")) h.added.push(row.slice(1));
      else if (row.startsWith(" ")) {
        h.removed.push(row.slice(1));
        h.added.push(row.slice(1));
      } else throw new Error(`line ${i + 1} of the diff has no +, - or space`);
      i += 1;
    }
    if (h.removed.length !== h.oldLen || h.added.length !== h.newLen) {
      throw new Error("a hunk's lines do not match its header");
    }
    if (oldIndex(h) < lastEnd) throw new Error("hunks overlap or are out of order");
    lastEnd = oldIndex(h) + h.oldLen;
    hunks.push(h);
  }
  return hunks;
}

/** `text` with the hunks applied, placing lines by number (diffs.apply). */
export function applyHunks(text, hunks) {
  const old = splitLines(text);
  const out = [];
  let pos = 0;
  for (const h of hunks) {
    const start = oldIndex(h);
    if (start < pos || start + h.oldLen > old.length) throw new Error("the diff does not fit");
    for (let k = pos; k < start; k += 1) out.push(old[k]);
    for (const line of h.added) out.push(line);
    pos = start + h.oldLen;
  }
  for (let k = pos; k < old.length; k += 1) out.push(old[k]);
  return out.join("\n");
}

/** Where 1-based `line` of the old text went; null if it was removed (diffs.map_line). */
export function mapLine(hunks, line) {
  let delta = 0;
  for (const h of hunks) {
    const start = oldIndex(h);
    if (line - 1 < start) break;
    if (line - 1 < start + h.oldLen) return null;
    delta += h.newLen - h.oldLen;
  }
  return line + delta;
}

export function mapRange(hunks, first, last) {
  let lo = null;
  let hi = null;
  for (let x = first; x <= last; x += 1) {
    const n = mapLine(hunks, x);
    if (n === null) continue;
    lo = lo === null ? n : Math.min(lo, n);
    hi = hi === null ? n : Math.max(hi, n);
  }
  return lo === null ? null : [lo, hi];
}

/** The 1-based ranges of the new text each hunk wrote (Hunk.new_range). */
export function changedLines(hunks) {
  return hunks.map((h) => {
    if (h.newLen) return [h.newStart, h.newStart + h.newLen - 1];
    const line = Math.max(1, h.newStart + 1);
    return [line, line];
  });
}

/** The line nearest `line` that reads `want` (trimmed); `line` if none is near (relocate). */
export function relocate(rows, line, want) {
  for (let step = 0; step <= RELOCATE_LINES; step += 1) {
    const candidates = step ? [line - step, line + step] : [line];
    for (const n of candidates) {
      if (n >= 1 && n <= rows.length && rows[n - 1].trim() === want) return n;
    }
  }
  return line;
}

function utf8Length(text) {
  let n = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i += 1;
    } else n += 3;
  }
  return n;
}

/** The code part of a stream's state (replay/code.py's `Code`). */
export class CodeState {
  constructor() {
    this.reset(null);
  }

  /** Start from a keyframe's `code` state (null: nothing yet). */
  reset(snap) {
    const s = snap ?? {};
    this.tree = new Map(Object.entries(s.tree ?? {}).map(([p, e]) => [p, [...e]]));
    this.truncated = !!s.truncated;
    this.files = new Map(
      Object.entries(s.files ?? {}).map(([p, f]) => [p, { ...f, lines: (f.lines ?? []).map((r) => [...r]) }]),
    );
    this.focus = s.focus ? { ...s.focus } : null;
    const git = s.git ?? {};
    this.git = {
      branch: git.branch ?? "",
      summary: git.summary ?? "",
      diffstat: git.diffstat ?? "",
      commits: (git.commits ?? []).map((c) => ({ ...c })),
    };
    this.comments = new Map(Object.entries(s.comments ?? {}).map(([k, c]) => [k, { ...c }]));
    this.kept = 0;
    for (const f of this.files.values()) if (f.text !== null && f.text !== undefined) this.kept += f.text.length;
    this.seen = !!snap;
  }

  text(path) {
    const f = this.files.get(path);
    return f && typeof f.text === "string" ? f.text : null;
  }

  /** Fold one event; return {kind, path?, lines?} when the code state changed, else null. */
  apply(ev) {
    const d = ev.data;
    switch (ev.kind) {
      case "file.tree":
        this.seen = true;
        this.#tree(d);
        return { kind: "tree" };
      case "file.snapshot":
        this.seen = true;
        this.#snapshot(ev);
        return { kind: "file", path: d.path, lines: null };
      case "file.patch":
        this.seen = true;
        return { kind: "file", path: d.path, lines: this.#patch(ev) };
      case "file.delete":
        this.seen = true;
        this.tree.delete(d.path);
        this.#drop(d.path);
        for (const c of this.comments.values()) if (c.file === d.path) c.outdated = true;
        return { kind: "tree", path: d.path };
      case "file.rename":
        this.seen = true;
        this.#rename(d.path, d.to);
        return { kind: "tree", path: d.to, from: d.path };
      case "file.focus":
        this.seen = true;
        this.focus = { ...d, seq: ev.seq, t: ev.t };
        return { kind: "focus", path: d.path };
      case "git.status":
        this.seen = true;
        Object.assign(this.git, d);
        return { kind: "git" };
      case "git.commit":
        this.seen = true;
        this.git.commits.push({
          hash: d.hash,
          message: d.message,
          files: d.files.slice(0, MAX_COMMIT_FILES),
          author: d.author ?? "",
          seq: ev.seq,
          t: ev.t,
        });
        if (this.git.commits.length > MAX_COMMITS) this.git.commits.splice(0, this.git.commits.length - MAX_COMMITS);
        return { kind: "git" };
      case "comment":
        if (!d.anchor || d.anchor.file === undefined || d.anchor.file === null) return null;
        this.#comment(ev);
        return { kind: "comments", path: d.anchor.file };
      case "comment.status": {
        const c = this.comments.get(d.comment);
        if (!c) return null;
        c.status = d.status;
        return { kind: "comments", path: c.file };
      }
      case "chat.delete": {
        const c = this.comments.get(d.id);
        if (!c) return null;
        this.comments.delete(d.id);
        return { kind: "comments", path: c.file };
      }
      default:
        return null;
    }
  }

  #setText(f, text) {
    const old = typeof f.text === "string" ? f.text.length : 0;
    this.kept += (text === null ? 0 : text.length) - old;
    f.text = text;
  }

  #evict(keep) {
    if (this.kept <= MAX_KEPT_TEXT) return;
    const held = [...this.files.entries()]
      .filter(([p, f]) => typeof f.text === "string" && p !== keep)
      .sort((a, b) => a[1].seq - b[1].seq || (a[0] < b[0] ? -1 : 1));
    for (const [, f] of held) {
      if (this.kept <= MAX_KEPT_TEXT) break;
      this.#setText(f, null);
    }
  }

  #drop(path) {
    const f = this.files.get(path);
    if (f) {
      this.#setText(f, null);
      this.files.delete(path);
    }
  }

  #tree(d) {
    if (d.update) {
      for (const e of d.entries) this.tree.set(e.path, [e.state, e.size]);
      this.truncated = this.truncated || !!d.truncated;
    } else {
      const entries = new Map(d.entries.map((e) => [e.path, [e.state, e.size]]));
      for (const p of [...this.files.keys()]) if (!entries.has(p)) this.#drop(p);
      this.tree = entries;
      this.truncated = !!d.truncated;
    }
    while (this.tree.size > MAX_TREE) {
      this.tree.delete(this.tree.keys().next().value);
      this.truncated = true;
    }
  }

  #newFile(ev, added) {
    return {
      text: null,
      hash: "",
      language: "",
      seq: ev.seq,
      t: ev.t,
      first_seq: ev.seq,
      changes: 0,
      lines: [],
      added,
    };
  }

  #keepState(path, text) {
    const entry = this.tree.get(path);
    const state = entry && entry[0] === "encoding" ? "encoding" : "text";
    this.tree.set(path, [state, utf8Length(text)]);
  }

  #snapshot(ev) {
    const d = ev.data;
    let f = this.files.get(d.path);
    if (!f) {
      f = this.#newFile(ev, !this.tree.has(d.path));
      this.files.set(d.path, f);
    } else if (f.hash && f.hash !== d.hash) {
      f.changes += 1;
      f.lines = [];
    }
    if (f.text !== d.text) this.#relocateComments(d.path, d.text);
    this.#setText(f, d.text);
    Object.assign(f, { hash: d.hash, language: d.language ?? "", seq: ev.seq, t: ev.t });
    this.#keepState(d.path, d.text);
    this.#evict(d.path);
  }

  #patch(ev) {
    const d = ev.data;
    let hunks = null;
    try {
      hunks = parseDiff(d.diff);
    } catch {
      hunks = null;
    }
    let f = this.files.get(d.path);
    if (!f) {
      f = this.#newFile(ev, false);
      this.files.set(d.path, f);
    }
    let next = null;
    if (hunks !== null && typeof f.text === "string" && f.hash === d.base) {
      try {
        next = applyHunks(f.text, hunks);
      } catch {
        next = null;
      }
    }
    this.#setText(f, next);
    if (hunks !== null) this.#moveComments(d.path, hunks);
    const lines = changedLines(hunks ?? []).slice(0, 100);
    Object.assign(f, { hash: d.hash, seq: ev.seq, t: ev.t, changes: f.changes + 1, lines });
    if (next !== null) {
      this.#keepState(d.path, next);
      this.#evict(d.path);
    }
    return lines;
  }

  #rename(from, to) {
    if (this.tree.has(from)) {
      this.tree.set(to, this.tree.get(from));
      this.tree.delete(from);
    }
    if (this.files.has(from)) {
      this.#drop(to);
      this.files.set(to, this.files.get(from));
      this.files.delete(from);
    }
    for (const c of this.comments.values()) if (c.file === from) c.file = to;
  }

  #comment(ev) {
    const d = ev.data;
    const a = d.anchor;
    let line = a.line;
    if (line === undefined || line === null) return;
    let end = Math.max(line, a.end_line ?? line);
    end = Math.min(end, line + MAX_ANCHOR_LINES - 1);
    let anchored = (a.text ?? "").split("\n", 1)[0].trim();
    const text = this.text(a.file);
    if (text !== null) {
      const rows = splitLines(text);
      const moved = anchored ? relocate(rows, line, anchored) : line;
      end += moved - line;
      line = moved;
      if (!anchored && line <= rows.length) anchored = rows[line - 1].trim();
    }
    this.comments.set(d.id, {
      id: d.id,
      kind: d.kind,
      text: d.text,
      name: d.name,
      role: d.role ?? "viewer",
      user: d.user,
      seq: ev.seq,
      t: ev.t,
      file: a.file,
      line,
      end_line: end,
      anchor: anchored.slice(0, 200),
      outdated: false,
      status: "open",
    });
    while (this.comments.size > MAX_COMMENTS) this.comments.delete(this.comments.keys().next().value);
  }

  #relocateComments(path, text) {
    const rows = splitLines(text);
    for (const c of this.comments.values()) {
      if (c.file !== path || c.outdated) continue;
      const line = c.anchor ? relocate(rows, c.line, c.anchor) : 0;
      const ok = line >= 1 && line <= rows.length && rows[line - 1].trim() === c.anchor;
      if (!ok) c.outdated = true;
      else {
        c.end_line += line - c.line;
        c.line = line;
      }
    }
  }

  #moveComments(path, hunks) {
    if (!hunks.length) return;
    for (const c of this.comments.values()) {
      if (c.file !== path || c.outdated) continue;
      const moved = mapRange(hunks, c.line, c.end_line);
      if (moved === null) c.outdated = true;
      else [c.line, c.end_line] = moved;
    }
  }

  /** Comments on `path`, in the order they were made. */
  commentsOn(path) {
    return [...this.comments.values()].filter((c) => c.file === path);
  }
}

// ── line diffs for the "what changed" view (display only; not part of the fold) ───────────

/**
 * The edit script from `a` to `b` (arrays of lines) as [op, line] pairs, op one of " ", "-",
 * "+". Myers' algorithm on the middle after common ends are cut; past `maxD` edits the middle
 * is shown as removed then added.
 */
export function lineDiff(a, b, maxD = 2000) {
  let pre = 0;
  const limit = Math.min(a.length, b.length);
  while (pre < limit && a[pre] === b[pre]) pre += 1;
  let post = 0;
  while (post < limit - pre && a[a.length - 1 - post] === b[b.length - 1 - post]) post += 1;
  const x = a.slice(pre, a.length - post);
  const y = b.slice(pre, b.length - post);
  const out = [];
  for (let i = 0; i < pre; i += 1) out.push([" ", a[i]]);
  const mid = myers(x, y, maxD);
  if (mid === null) {
    for (const line of x) out.push(["-", line]);
    for (const line of y) out.push(["+", line]);
  } else {
    for (const op of mid) out.push(op);
  }
  for (let i = a.length - post; i < a.length; i += 1) out.push([" ", a[i]]);
  return out;
}

function myers(a, b, maxD) {
  const n = a.length;
  const m = b.length;
  const top = Math.min(maxD, n + m);
  const off = top + 1;
  const v = new Int32Array(2 * top + 3);
  const trace = [];
  for (let d = 0; d <= top; d += 1) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let px;
      if (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) px = v[off + k + 1];
      else px = v[off + k - 1] + 1;
      let py = px - k;
      while (px < n && py < m && a[px] === b[py]) {
        px += 1;
        py += 1;
      }
      v[off + k] = px;
      if (px >= n && py >= m) return backtrack(trace, a, b);
    }
  }
  return null;
}

function backtrack(trace, a, b) {
  let x = a.length;
  let y = b.length;
  const ops = [];
  for (let d = trace.length - 1; d >= 0; d -= 1) {
    const v = trace[d];
    const k = x - y;
    const down = k === -d || (k !== d && v[k + d] < v[k + d + 2]);
    const pk = down ? k + 1 : k - 1;
    const px = d === 0 ? 0 : v[pk + d + 1];
    const py = d === 0 ? 0 : px - pk;
    const sx = d === 0 ? 0 : down ? px : px + 1;
    while (x > sx && y > (d === 0 ? 0 : down ? py + 1 : py)) {
      x -= 1;
      y -= 1;
      ops.push([" ", a[x]]);
    }
    if (d === 0) break;
    if (down) ops.push(["+", b[py]]);
    else ops.push(["-", a[px]]);
    x = px;
    y = py;
  }
  return ops.reverse();
}
