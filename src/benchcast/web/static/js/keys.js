/**
 * Keyboard shortcuts, after asciinema-player's:
 *
 *   space / k   play or pause          ← / →   back / forward 5 s
 *   [ / ]       slower / faster        0 … 9   jump to 0 % … 90 %
 *   Home        the beginning          End     go live (or the end)
 *   f           full screen            ?       show the shortcuts
 *
 * Keys typed into a text field, or with Ctrl, Alt or Meta held, are left alone so browser
 * and system shortcuts keep working.
 */

const STEP = 5;

export function bindKeys(player, controls, { fullscreenTarget } = {}) {
  window.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.altKey || e.metaKey || e.defaultPrevented) return;
    const t = e.target;
    const tag = t?.tagName;
    const typing =
      t?.isContentEditable ||
      tag === "TEXTAREA" ||
      tag === "SELECT" ||
      (tag === "INPUT" && t.type !== "range");
    if (typing) return;
    // Buttons act on space and Enter themselves; let Enter through, take space.
    if (tag === "BUTTON" && e.key === "Enter") return;

    const handled = handle(e.key, player, controls, fullscreenTarget);
    if (handled) e.preventDefault();
  });
}

function handle(key, player, controls, fullscreenTarget) {
  switch (key) {
    case " ":
    case "k":
      player.toggle();
      return true;
    case "ArrowLeft":
      player.seekBy(-STEP);
      return true;
    case "ArrowRight":
      player.seekBy(STEP);
      return true;
    case "[":
      player.stepSpeed(-1);
      return true;
    case "]":
      player.stepSpeed(1);
      return true;
    case "Home":
      player.seek(0);
      return true;
    case "End":
      if (player.stream.live) player.goLive();
      else player.seek(player.duration());
      return true;
    case "f":
      if (fullscreenTarget) controls.toggleFullscreen(fullscreenTarget);
      return true;
    case "?":
      controls.toggleHelp();
      return true;
    case "Escape":
      controls.toggleHelp(false);
      return false;
    default:
      if (key.length === 1 && key >= "0" && key <= "9") {
        player.seekFraction(Number(key) / 10);
        return true;
      }
      return false;
  }
}
