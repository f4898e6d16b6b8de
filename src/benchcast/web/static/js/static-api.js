/**
 * The archive API (api.js) for a static export: the same functions, answered from the
 * events and keyframes embedded in the page (#benchcast-data), so the player and the panels
 * replay a stream from file:// with no server. replay/static_html.py bundles this module in
 * place of api.js.
 */

const DATA = JSON.parse(document.getElementById("benchcast-data").textContent);
export const MAX_PAGE = 5000;
export const data = DATA;

/** Index of the first element of `list` whose `key` is greater than `x` (binary search). */
function after(list, key, x) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid][key] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export async function stream() {
  return { ...DATA.stream, keyframes: DATA.keyframes.map((k) => ({ seq: k.seq, t: k.t })) };
}

export async function seek(_id, t) {
  const i = after(DATA.events, "t", Math.max(0, t));
  const seq = i > 0 ? DATA.events[i - 1].seq : 0;
  const k = after(DATA.keyframes, "seq", seq);
  return { seq, keyframe: k > 0 ? DATA.keyframes[k - 1] : null };
}

export async function page(_id, since, { until = null, limit = 1000 } = {}) {
  const from = after(DATA.events, "seq", since);
  const out = [];
  for (let i = from; i < DATA.events.length && out.length < limit; i++) {
    const ev = DATA.events[i];
    if (until !== null && ev.seq > until) break;
    out.push(ev);
  }
  return out;
}

export async function range(id, since, until) {
  return page(id, since, { until, limit: Number.MAX_SAFE_INTEGER });
}
