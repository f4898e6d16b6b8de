/**
 * The OBS overlay (/s/{id}/overlay, server/overlay.py): the stream page's own panels — chat,
 * the "now" card, the latest chart, captions — over a transparent page, composed by the URL's
 * parameters (#overlay-options: panels, width, height, scale, direction, messages, metric).
 *
 * It is a viewer like any other: the same Player and viewer websocket, live, with no delay
 * (the overlay is drawn into the video itself, so it is already in step with it). Panels with
 * nothing to show are hidden, so an empty overlay draws nothing at all.
 *
 * `window.overlay` exposes {player, chat, runs, now, captions, chart, ready} for tests.
 */

import { AudienceClient } from "./audience.js";
import { CaptionsPanel } from "./captions.js";
import { ChatPanel } from "./chat.js";
import { Player } from "./player.js";
import { RunsPanel } from "./runs.js";
import { el } from "./ui.js";

/** Stands in for the stream page's Layout: each view goes into its card, nothing has tabs. */
class CardLayout extends EventTarget {
  constructor(cards) {
    super();
    this.cards = cards;
  }

  addView({ id, element }) {
    const card = this.cards.get(id === "runs" ? "chart" : id);
    if (!card) return;
    card.append(element);
    this.dispatchEvent(new CustomEvent("viewchange", { detail: id }));
  }

  addSide(spec) {
    this.addView(spec);
  }

  show() {}

  flag() {}
}

/** The "now" card: the streamer's goal, hypothesis and next step (`benchcast now`). */
class NowCard {
  constructor(card) {
    this.card = card;
    this.now = {};
    this.dl = el("dl", { class: "overlay-now-list" });
    card.append(this.dl);
    this.#draw();
  }

  reset(state) {
    this.now = { ...(state?.now ?? {}) };
    this.#draw();
  }

  apply(ev) {
    if (ev.kind !== "now") return;
    this.now = Object.fromEntries(Object.entries(ev.data).filter(([, v]) => v));
    this.#draw();
  }

  #draw() {
    this.dl.replaceChildren();
    for (const [key, label] of [["goal", "Goal"], ["hypothesis", "Hypothesis"], ["next", "Next"]]) {
      if (this.now[key]) this.dl.append(el("dt", { text: label }), el("dd", { class: `now-${key}`, text: this.now[key] }));
    }
    this.card.hidden = this.dl.children.length === 0;
  }
}

/** Picks the chart the overlay shows: `?metric=`, else the metric logged last. */
class ChartPicker {
  constructor(card, runs, metric) {
    this.card = card;
    this.runs = runs;
    this.fixed = metric;
    this.latest = metric;
    this.card.hidden = true;
  }

  reset(state) {
    if (this.fixed) return this.#show();
    // The keyframe knows each run's metrics, not which moved last: take the newest run's first.
    const runs = Object.values(state?.runs ?? {});
    const names = Object.keys(runs.at(-1)?.metrics ?? {});
    this.latest = names[0] ?? null;
    this.#show();
  }

  apply(ev) {
    if (ev.kind !== "metric" || this.fixed) return;
    const row = ev.data.rows?.at(-1) ?? ev.data.pending;
    const name = row ? Object.keys(row.values)[0] : null;
    if (name && name !== this.latest) {
      this.latest = name;
    }
    this.#show();
  }

  #show() {
    // The runs panel makes a metric's chart on first sight; it may arrive after this event.
    requestAnimationFrame(() => {
      let shown = false;
      for (const chart of this.card.querySelectorAll(".rchart")) {
        const on = chart.dataset.metric === this.latest;
        chart.classList.toggle("is-overlay-shown", on);
        shown ||= on;
      }
      this.card.hidden = !shown;
    });
  }
}

/** Captions, in their own card: shown only while someone speaks. */
class CaptionCard extends CaptionsPanel {
  constructor({ card, player }) {
    super({ host: card, player });
    this.card = card;
    this.element.className = "overlay-captions-text";
    this.#sync();
    new MutationObserver(() => this.#sync()).observe(this.element, { attributes: true, attributeFilter: ["hidden"] });
  }

  #sync() {
    this.card.hidden = this.element.hidden;
  }
}

function main() {
  const root = document.querySelector("[data-overlay]");
  const stream = JSON.parse(document.getElementById("stream-data").textContent);
  const options = JSON.parse(document.getElementById("overlay-options").textContent);

  // Sized for the browser source: width × height device pixels, content scaled within.
  const scale = options.scale ?? 1;
  if (options.width) root.style.width = `${options.width / scale}px`;
  else root.style.width = `${100 / scale}vw`;
  if (options.height) root.style.height = `${options.height / scale}px`;
  else root.style.height = `${100 / scale}vh`;
  root.style.zoom = String(scale);
  root.style.setProperty("--overlay-messages", String(options.messages ?? 8));

  const cards = new Map();
  for (const id of options.panels) {
    const card = el("section", { class: `overlay-card overlay-${id}`, "data-card": id, hidden: true });
    cards.set(id, card);
    root.append(card);
  }
  const layout = new CardLayout(cards);
  const panels = [];
  const player = new Player(stream, panels);
  const out = { player, options };

  if (cards.has("chat")) {
    const client = new AudienceClient(stream.id); // anonymous: no composer, no menus
    const chat = new ChatPanel(client, player);
    const card = cards.get("chat");
    card.append(chat.element);
    const keep = options.messages ?? 8;
    // Only the newest few messages: the overlay has no scrollbar.
    const trim = () => {
      const items = [...chat.log.children];
      items.forEach((li, i) => li.classList.toggle("is-old", i < items.length - keep));
      card.hidden = items.length === 0;
    };
    new MutationObserver(trim).observe(chat.log, { childList: true });
    panels.push(chat);
    out.chat = chat;
  }
  if (cards.has("now")) {
    out.now = new NowCard(cards.get("now"));
    panels.push(out.now);
  }
  if (cards.has("chart")) {
    out.runs = new RunsPanel({ layout, player, stream });
    out.chart = new ChartPicker(cards.get("chart"), out.runs, options.metric);
    panels.push(out.runs, out.chart);
  }
  if (cards.has("captions")) {
    out.captions = new CaptionCard({ card: cards.get("captions"), player });
    panels.push(out.captions);
  }
  out.ready = player.start();
  window.overlay = out;
}

main();
