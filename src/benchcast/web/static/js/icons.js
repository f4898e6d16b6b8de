/**
 * Small inline SVG icons for the experiments views (no emoji: many systems lack the font).
 */

const NS = "http://www.w3.org/2000/svg";
const PATHS = {
  // A speech bubble.
  comment: "M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H11l-4.2 3.6A.5.5 0 0 1 6 19.2V16h0a2.5 2.5 0 0 1-2-2.5v-8z",
};

/** An <svg> icon, sized by CSS (1em by default), hidden from screen readers. */
export function icon(name, className = "icon") {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", className);
  const path = document.createElementNS(NS, "path");
  path.setAttribute("d", PATHS[name]);
  svg.append(path);
  return svg;
}
