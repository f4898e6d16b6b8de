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
 *   paper           the paper panel (paper.js): following, page, highlights
 *   clips           clip making and playing (clip.js); `?clip=ID` plays a clip
 *   media           the voice and picture (media.js): audio, video, state()
 *   state()         {seq, t, duration, live, streamLive, playing, speed, busy, poster,
 *                   connection, viewers}
 *   screenText(src) the screen of terminal `src` (default: the first) as plain text
 *   captions        captions of what the streamer says (captions.js): shown()
 *   transcript      the transcript panel (captions.js): items()
 *   video           the external video (video.js): its embed, the panels' delay
 *   ready           a promise that settles once the first picture is loaded (player.start())
 */

import { mountAudience } from "./audience.js";
import { CaptionsPanel, TranscriptPanel } from "./captions.js";
import { CatchUpPanel } from "./catchup.js";
import { ChapterPanel } from "./chapters.js";
import { Clips } from "./clip.js";
import { CodePanel } from "./code.js";
import { Controls } from "./controls.js";
import { StreamInfo } from "./info.js";
import { bindKeys } from "./keys.js";
import { Layout } from "./layout.js";
import { MediaPanel } from "./media.js";
import { NotebookPanel } from "./notebook.js";
import { NotesPanel } from "./notes.js";
import { PaperPanel } from "./paper.js";
import { Notices } from "./notices.js";
import { Player } from "./player.js";
import { RunsPanel } from "./runs.js";
import { TerminalDeck } from "./terminal.js";
import { VideoPanel, embedFor, viewerDelay } from "./video.js";

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
  // An external video (the streamer's Twitch/YouTube broadcast) runs behind: so do the panels.
  const delay = embedFor(stream.video) ? viewerDelay(stream) : 0;
  const player = new Player(stream, panels, { delay });
  const info = new StreamInfo(root, player);
  panels.push(info);
  const code = new CodePanel({ layout, player, streamId: stream.id });
  panels.push(code);
  // Experiments: runs (charts, media, tables, the machine) and notebooks (issue 5).
  const runs = new RunsPanel({ layout, player, stream });
  const notebook = new NotebookPanel({ layout, player });
  panels.push(runs, notebook);
  const audience = mountAudience({ stream, player, layout, panels, deck });
  // The paper the streamer reads, with its highlights and the passages viewers ask about.
  const paper = new PaperPanel({ layout, player, audience });
  panels.push(paper);
  // The archive's panels: the table of contents, narration, and "so far" for late joiners.
  const chapters = new ChapterPanel({ root, player, layout, streamId: stream.id });
  const notes = new NotesPanel({ layout, player });
  const catchup = new CatchUpPanel({ layout, player, chapters });
  panels.push(chapters, notes, catchup);
  // What the streamer said (`benchcast transcribe`): captions over the player, and a list.
  const captions = new CaptionsPanel({ host: playerEl, player });
  const transcript = new TranscriptPanel({ layout, player });
  const video = new VideoPanel({ layout, player, stream });
  panels.push(captions, transcript, video);
  const clips = new Clips({ root, player, streamId: stream.id });
  // The streamer's voice and picture, on the player's clock (media.js).
  const media = new MediaPanel({ root, player, stream });
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
    paper,
    chapters,
    catchup,
    notes,
    clips,
    media,
    captions,
    transcript,
    video,
    ready,
    state: () => player.state(),
    screenText(source = null) {
      const view = source ? deck.views.get(source) : deck.primary;
      return view ? view.screenText() : "";
    },
  };
}

main();
