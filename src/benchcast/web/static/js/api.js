/**
 * The archive side of the server's JSON API (see server/api.py), as promises.
 *
 * Every function rejects with an Error whose message is the server's own `error` text when
 * it gave one, so a panel can show it as is.
 */

/** Largest page the server hands out (api.MAX_LIMIT); bigger limits are refused. */
export const MAX_PAGE = 5000;

async function getJSON(url, signal) {
  const res = await fetch(url, { signal, headers: { Accept: "application/json" } });
  let body = null;
  try {
    body = await res.json();
  } catch {
    // A proxy's HTML error page, say: fall through to the status line below.
  }
  if (!res.ok) {
    throw new Error(body?.error ?? `${res.status} ${res.statusText} for ${url}`);
  }
  return body;
}

const base = (id) => `/api/streams/${encodeURIComponent(id)}`;

/** The stream's summary: {id, title, tags, live, events, duration, viewers, keyframes}. */
export function stream(id, signal) {
  return getJSON(base(id), signal);
}

/**
 * Where to start to show stream time `t`: {keyframe: {seq, t, state} | null, seq}.
 * Applying the keyframe, then every event in (keyframe.seq, seq], shows time t.
 */
export function seek(id, t, signal) {
  return getJSON(`${base(id)}/seek?t=${encodeURIComponent(Math.max(0, t))}`, signal);
}

/**
 * One page of events with seq > since (and ≤ until, if given), oldest first. `kind` and
 * `source` (comma-separated; an entry ending in "." or ":" is a prefix) keep only the events
 * that match, and `limit` then counts those.
 */
export async function page(id, since, { until = null, limit = 1000, kind = null, source = null, signal } = {}) {
  const q = new URLSearchParams({ since: String(since), limit: String(limit) });
  if (until !== null) q.set("until", String(until));
  if (kind) q.set("kind", kind);
  if (source) q.set("source", source);
  const body = await getJSON(`${base(id)}/events?${q}`, signal);
  return body.events;
}

/** Every event in (since, until], fetched page by page, oldest first. */
export async function range(id, since, until, signal) {
  const out = [];
  let from = since;
  while (from < until) {
    const events = await page(id, from, { until, limit: MAX_PAGE, signal });
    if (events.length === 0) break; // the store has nothing more in range
    for (const ev of events) out.push(ev);
    from = events[events.length - 1].seq;
    if (events.length < MAX_PAGE) break;
  }
  return out;
}

/**
 * Every matching event in (since, until], page by page as they arrive (an async iterator of
 * arrays), so a panel can draw a long history while the rest loads.
 */
export async function* pages(id, { since = 0, until = null, kind = null, source = null, limit = MAX_PAGE, signal } = {}) {
  let from = since;
  for (;;) {
    const events = await page(id, from, { until, limit, kind, source, signal });
    if (events.length) yield events;
    if (events.length < limit) return;
    from = events[events.length - 1].seq;
  }
}
