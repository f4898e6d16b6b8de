/**
 * The stream page's layout: views of the work in the player (terminal, code, runs, notebook,
 * paper), and side panels beside it (chat, questions, notes, "so far").
 *
 * A panel module builds its own element and registers it:
 *
 *   layout.addView({ id: "code", title: "Code", element })          // in the player
 *   layout.addSide({ id: "chat", title: "Chat", element })          // beside it
 *
 * Tabs appear once an area holds more than one view; the side column appears with its first
 * panel. `layout.show(id)` brings a view forward (follow mode uses it); "viewchange" fires on
 * the layout with {detail: id} so panels can refit when they become visible.
 */

export class Layout extends EventTarget {
  /** @param {HTMLElement} root the [data-watch] element */
  constructor(root) {
    super();
    this.root = root;
    this.main = {
      nav: root.querySelector("[data-views]"),
      host: root.querySelector("[data-player]"),
      before: root.querySelector("[data-controls]"),
      items: new Map(),
      current: null,
    };
    this.side = {
      nav: root.querySelector("[data-side-tabs]"),
      host: root.querySelector("[data-side]"),
      before: null,
      items: new Map(),
      current: null,
    };
    const stage = root.querySelector("[data-stage]");
    this.#add(this.main, { id: "terminal", title: "Terminal", element: stage });
  }

  addView(spec) {
    this.#add(this.main, spec);
  }

  addSide(spec) {
    this.side.host.hidden = false;
    this.root.classList.add("has-side");
    this.#add(this.side, spec);
  }

  /** Bring view or side panel `id` forward. */
  show(id) {
    for (const area of [this.main, this.side]) {
      if (!area.items.has(id)) continue;
      area.current = id;
      for (const [key, item] of area.items) {
        const on = key === id;
        item.element.hidden = !on;
        item.tab.setAttribute("aria-selected", String(on));
        item.tab.classList.toggle("is-active", on);
      }
      this.dispatchEvent(new CustomEvent("viewchange", { detail: id }));
    }
  }

  /** Mark a tab as having something new (cleared when it is shown). */
  flag(id, on = true) {
    for (const area of [this.main, this.side]) {
      const item = area.items.get(id);
      if (item && area.current !== id) item.tab.classList.toggle("has-news", on);
      else if (item) item.tab.classList.remove("has-news");
    }
  }

  #add(area, { id, title, element }) {
    const tab = document.createElement("button");
    tab.type = "button";
    tab.className = "view-tab";
    tab.setAttribute("role", "tab");
    tab.dataset.tab = id;
    tab.textContent = title;
    tab.addEventListener("click", () => {
      this.show(id);
      this.flag(id, false);
    });
    area.nav.append(tab);
    if (element.parentElement !== area.host) {
      if (area.before) area.host.insertBefore(element, area.before);
      else area.host.append(element);
    }
    element.classList.add("view");
    element.dataset.view = id;
    area.items.set(id, { tab, element });
    area.nav.hidden = area.items.size < 2;
    if (area.current === null) this.show(id);
    else element.hidden = true;
  }
}
