/**
 * The stream page (/s/{id}): wires the player to its panels and controls.
 *
 * The page's server-rendered HTML carries the stream's summary as JSON (#stream-data). A
 * `?t=SECONDS` in the address starts there (rewound, for a live stream).
 *
 * For tests and for the curious, `window.benchcast` exposes:
 *   term            the first terminal's xterm.js Terminal
 *   player          the Player
 *   state()         {seq, t, duration, live, streamLive, playing, speed, busy, poster,
 *                   connection, viewers}
 *   screenText(src) the screen of terminal `src` (default: the first) as plain text
 *   ready           a promise that settles once the first picture is loaded (player.start())
 */

import { Controls } from "./controls.js";
import { StreamInfo } from "./info.js";
import { bindKeys } from "./keys.js";
import { Layout } from "./layout.js";
import { Notices } from "./notices.js";
import { Player } from "./player.js";
import { TerminalDeck } from "./terminal.js";

function main() {
  const root = document.querySelector("[data-watch]");
  const stream = JSON.parse(document.getElementById("stream-data").textContent);
  const playerEl = root.querySelector("[data-player]");

  const stage = root.querySelector("[data-stage]");
  if (!stream.live) stage.querySelector(".stage-empty").textContent = "No terminal open yet.";
  const deck = new TerminalDeck(stage);
  const layout = new Layout(root);
  layout.addEventListener("viewchange", (e) => {
    if (e.detail === "terminal") requestAnimationFrame(() => deck.fit());
  });
  const notices = new Notices(
    root.querySelector("[data-notices]"),
    root.querySelector("[data-off-air]"),
  );
  // Panels see every event, in this order; the player owns when.
  const panels = [deck, notices];
  const player = new Player(stream, panels);
  const info = new StreamInfo(root, player);
  panels.push(info);
  const controls = new Controls(root.querySelector("[data-controls]"), player, {
    fullscreenTarget: playerEl,
  });
  bindKeys(player, controls, { fullscreenTarget: playerEl });
  player.addEventListener("error", (e) => notices.error(e.detail));

  const params = new URLSearchParams(location.search);
  const at = params.has("t") ? Number(params.get("t")) : null;
  const ready = player.start(Number.isFinite(at) ? at : null);

  window.benchcast = {
    get term() {
      return deck.primary?.term ?? null;
    },
    player,
    layout,
    ready,
    state: () => player.state(),
    screenText(source = null) {
      const view = source ? deck.views.get(source) : deck.primary;
      return view ? view.screenText() : "";
    },
  };
}

main();
