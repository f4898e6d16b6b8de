/**
 * The code panel's file tree: folders that open and close, each file with a badge for what
 * happened to it on stream (M changed, A added) and a marker for what cannot be shown (binary,
 * large, link, secret, unreadable, not UTF-8).
 *
 * Only open folders are drawn, and a folder draws at most PAGE entries until asked for more,
 * so a 10,000-file repository costs a few dozen rows. Every click in the tree is reported
 * (`onClick`) before it is handled: it is how the panel knows the viewer took the wheel.
 */

const PAGE = 300;
const MARKERS = {
  binary: ["bin", "Binary file: not shown"],
  large: ["large", "Over the size limit: not streamed"],
  link: ["link", "Symbolic link: not followed"],
  secret: ["secret", "May hold secrets: never streamed"],
  unreadable: ["?", "Could not be read"],
  ignored: ["ignored", "Ignored"],
  encoding: ["latin-1", "Not UTF-8: shown as Latin-1"],
};

function parentOf(path) {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

function nameOf(path) {
  return path.slice(path.lastIndexOf("/") + 1);
}

export class FileTreeView {
  /**
   * @param {HTMLElement} el
   * @param {{onOpen: (path: string) => void, onClick: () => void}} handlers
   */
  constructor(el, { onOpen, onClick }) {
    this.el = el;
    this.onOpen = onOpen;
    this.expanded = new Set([""]);
    this.shown = new Map(); // folder → how many entries are drawn
    this.index = null; // folder → {dirs: [], files: []}
    this.tree = null;
    this.current = null;
    el.setAttribute("role", "tree");
    el.addEventListener("click", (e) => {
      const row = e.target.closest("[data-node]");
      onClick();
      if (!row) return;
      const path = row.dataset.path;
      if (row.dataset.node === "dir") {
        if (this.expanded.has(path)) this.expanded.delete(path);
        else this.expanded.add(path);
        this.draw();
      } else if (row.dataset.node === "more") {
        this.shown.set(path, (this.shown.get(path) ?? PAGE) + PAGE);
        this.draw();
      } else {
        this.onOpen(path);
      }
    });
  }

  /** The tree changed shape (files added, removed, renamed): index it again when drawn. */
  invalidate() {
    this.index = null;
  }

  /** Open the folders down to `path`. */
  reveal(path) {
    if (!path) return;
    let folder = parentOf(path);
    while (folder) {
      this.expanded.add(folder);
      folder = parentOf(folder);
    }
  }

  #build(tree) {
    const index = new Map([["", { dirs: new Set(), files: [] }]]);
    const folder = (path) => {
      let node = index.get(path);
      if (!node) {
        node = { dirs: new Set(), files: [] };
        index.set(path, node);
        const up = parentOf(path);
        folder(up).dirs.add(path);
      }
      return node;
    };
    for (const path of tree.keys()) folder(parentOf(path)).files.push(path);
    for (const node of index.values()) {
      node.dirs = [...node.dirs].sort();
      node.files.sort();
    }
    return index;
  }

  /**
   * Draw from a CodeState: `current` is the file shown, `focus` the streamer's.
   * @param {import("./code-fold.js").CodeState} state
   */
  render(state, current, focus) {
    if (this.tree !== state.tree) {
      this.tree = state.tree;
      this.index = null;
    }
    this.state = state;
    this.current = current;
    this.focus = focus;
    this.draw();
  }

  draw() {
    const state = this.state;
    if (!state) return;
    if (this.index === null) this.index = this.#build(state.tree);
    // Folders holding something changed on stream get a dot.
    const touched = new Set();
    for (const [path, f] of state.files) {
      if (!(f.changes > 0 || f.added)) continue;
      let up = parentOf(path);
      while (up && !touched.has(up)) {
        touched.add(up);
        up = parentOf(up);
      }
    }
    const rows = [];
    const walk = (folder, depth) => {
      const node = this.index.get(folder);
      if (!node) return;
      const entries = [...node.dirs.map((d) => ["dir", d]), ...node.files.map((f) => ["file", f])];
      const limit = this.shown.get(folder) ?? PAGE;
      for (const [type, path] of entries.slice(0, limit)) {
        if (type === "dir") {
          const open = this.expanded.has(path);
          rows.push(this.#dirRow(path, depth, open, touched.has(path)));
          if (open) walk(path, depth + 1);
        } else {
          rows.push(this.#fileRow(path, depth));
        }
      }
      if (entries.length > limit) {
        const more = document.createElement("div");
        more.className = "tree-row tree-more";
        more.dataset.node = "more";
        more.dataset.path = folder;
        more.style.setProperty("--depth", depth);
        more.textContent = `… ${entries.length - limit} more`;
        rows.push(more);
      }
    };
    walk("", 0);
    if (state.truncated) {
      const note = document.createElement("div");
      note.className = "tree-note";
      note.textContent = "Only part of this folder is listed (too many files).";
      rows.push(note);
    }
    if (rows.length === 0) {
      const note = document.createElement("div");
      note.className = "tree-note";
      note.textContent = "No files.";
      rows.push(note);
    }
    this.el.replaceChildren(...rows);
  }

  #dirRow(path, depth, open, touched) {
    const row = document.createElement("div");
    row.className = "tree-row tree-dir";
    row.dataset.node = "dir";
    row.dataset.path = path;
    row.setAttribute("role", "treeitem");
    row.setAttribute("aria-expanded", String(open));
    row.style.setProperty("--depth", depth);
    const icon = document.createElement("span");
    icon.className = "tree-icon";
    icon.textContent = open ? "▾" : "▸";
    const name = document.createElement("span");
    name.className = "tree-name";
    name.textContent = nameOf(path);
    row.append(icon, name);
    if (touched) {
      const dot = document.createElement("span");
      dot.className = "tree-dot";
      dot.title = "Changed on stream";
      row.append(dot);
    }
    return row;
  }

  #fileRow(path, depth) {
    const state = this.state;
    const [kind] = state.tree.get(path) ?? ["text"];
    const f = state.files.get(path);
    const row = document.createElement("div");
    row.className = "tree-row tree-file";
    row.dataset.node = "file";
    row.dataset.path = path;
    row.dataset.state = kind;
    row.setAttribute("role", "treeitem");
    row.style.setProperty("--depth", depth);
    if (path === this.current) {
      row.classList.add("is-current");
      row.setAttribute("aria-selected", "true");
    }
    const icon = document.createElement("span");
    icon.className = "tree-icon";
    icon.textContent = path === this.focus ? "●" : "";
    if (path === this.focus) icon.title = "The streamer is here";
    const name = document.createElement("span");
    name.className = "tree-name";
    name.textContent = nameOf(path);
    name.title = path;
    row.append(icon, name);
    const marker = MARKERS[kind];
    if (marker) {
      const tag = document.createElement("span");
      tag.className = `tree-tag tag-${kind}`;
      tag.textContent = marker[0];
      tag.title = marker[1];
      row.append(tag);
    }
    if (f && (f.changes > 0 || f.added)) {
      const badge = document.createElement("span");
      badge.className = `tree-badge ${f.added ? "is-added" : "is-changed"}`;
      badge.textContent = f.added ? "A" : "M";
      badge.title = f.added
        ? "Added on stream"
        : `Changed ${f.changes} time${f.changes === 1 ? "" : "s"} on stream`;
      row.append(badge);
    }
    return row;
  }
}
