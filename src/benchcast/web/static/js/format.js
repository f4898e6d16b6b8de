/**
 * Small formatting helpers shared by the panels. Pure functions, no DOM.
 */

/** "m:ss" below an hour, "h:mm:ss" from an hour on; negative and non-finite values read 0:00. */
export function clock(seconds) {
  const s = Number.isFinite(seconds) ? Math.max(0, Math.floor(seconds)) : 0;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** A byte count as people read it: "512 B", "3.4 KB", "12 MB". */
export function bytes(n) {
  const units = ["B", "KB", "MB", "GB"];
  let v = Math.max(0, n);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  const digits = i === 0 || v >= 10 ? 0 : 1;
  return `${v.toFixed(digits)} ${units[i]}`;
}

/** "1 viewer", "3 viewers": the count of people watching, as a label. */
export function viewers(n) {
  return `${n} ${n === 1 ? "viewer" : "viewers"}`;
}

/** x clamped into [lo, hi]. */
export function clamp(x, lo, hi) {
  return Math.min(hi, Math.max(lo, x));
}
