/**
 * The stream page (/s/{id}): wires the player to its panels and controls.
 *
 * The page's server-rendered HTML carries the stream's summary as JSON (#stream-data). A
 * `?t=SECONDS` in the address starts there (rewound, for a live stream).
 *
 * For tests and for the curious, `window.benchcast` exposes:
 *   term            the first terminal's xterm.js Terminal
 *   player          the Player
 *   code            the code panel (code.js): its state, current file, follow mode
 *   audience        {client, chat, questions, reports} (audience.js)
 *   chapters        the chapters panel (chapters.js): chapters, notes, runs, bugs; next()
 *   catchup         the catch-up ("so far") panel (catchup.js)
 *   notes           the notes panel (notes.js)
 *   runs            the runs panel (runs.js): points(run, metric), drawn(metric)
 *   notebook        the notebook panel (notebook.js)
 *   clips           clip making and playing (clip.js); `?clip=ID` plays a clip
 *   state()         {seq, t, duration, live, streamLive, playing, speed, busy, poster,
 *                   connection, viewers}
 *   screenText(src) the screen of terminal `src` (default: the first) as plain text
 *   ready           a promise that settles once the first picture is loaded (player.start())
 */

import { mountAudience } from "./audience.js";
import { CatchUpPanel } from "./catchup.js";
import { ChapterPanel } from "./chapters.js";
import { Clips } from "./clip.js";
import { CodePanel } from "./code.js";
import { Controls } from "./controls.js";
import { StreamInfo } from "./info.js";
import { bindKeys } from "./keys.js";
import { Layout } from "./layout.js";
import { NotebookPanel } from "./notebook.js";
import { NotesPanel } from "./notes.js";
import { Notices } from "./notices.js";
import { Player } from "./player.js";
import { RunsPanel } from "./runs.js";
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
  const code = new CodePanel({ layout, player, streamId: stream.id });
  panels.push(code);
  // Experiments: runs (charts, media, tables, the machine) and notebooks (issue 5).
  const runs = new RunsPanel({ layout, player, stream });
  const notebook = new NotebookPanel({ layout, player });
  panels.push(runs, notebook);
  const audience = mountAudience({ stream, player, layout, panels, deck });
  // The archive's panels: the table of contents, narration, and "so far" for late joiners.
  const chapters = new ChapterPanel({ root, player, layout, streamId: stream.id });
  const notes = new NotesPanel({ layout, player });
  const catchup = new CatchUpPanel({ layout, player, chapters });
  panels.push(chapters, notes, catchup);
  const clips = new Clips({ root, player, streamId: stream.id });
  const controls = new Controls(root.querySelector("[data-controls]"), player, {
    fullscreenTarget: playerEl,
  });
  bindKeys(player, controls, { fullscreenTarget: playerEl });
  player.addEventListener("error", (e) => notices.error(e.detail));

  const params = new URLSearchParams(location.search);
  const at = params.has("t") ? Number(params.get("t")) : null;
  const started = player.start(Number.isFinite(at) ? at : null);
  const ready = started.then(async () => {
    if (params.get("clip")) await clips.play(params.get("clip"));
    catchup.showIfLate();
  });

  window.benchcast = {
    get term() {
      return deck.primary?.term ?? null;
    },
    player,
    layout,
    audience,
    code,
    runs,
    notebook,
    chapters,
    catchup,
    notes,
    clips,
    ready,
    state: () => player.state(),
    screenText(source = null) {
      const view = source ? deck.views.get(source) : deck.primary;
      return view ? view.screenText() : "";
    },
  };
}

main();
