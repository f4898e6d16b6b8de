/**
 * The studio (/studio/{channel}): the streamer's inbox — bug reports, questions sorted by
 * votes, mentions, recent chat — with the actions on them (acknowledge, mark fixed, answer,
 * pin, delete, time out, ban, appoint moderators), polls, and the channel's settings and
 * invitations.
 *
 * It reads GET /api/channels/{name}/inbox, and again whenever the channel's live stream
 * carries an audience event (it watches the stream's viewer websocket), or every 10 s.
 * `window.studio` exposes {refresh(), data} for tests.
 */

import { LiveFeed } from "./feed.js";
import { render } from "./markdown.js";
import { anchorLabel, clock, el, nameTag } from "./ui.js";

const AUDIENCE = /^(chat\.|question|comment|poll\.|mod\.)/;
const STATUS_LABEL = { open: "open", acknowledged: "acknowledged", fixed: "fixed", wontfix: "won't fix" };

const cfg = JSON.parse(document.getElementById("studio-data").textContent);
const root = document.querySelector("[data-studio]");
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const errorLine = root.querySelector("[data-error]");
const chanPath = `/api/channels/${encodeURIComponent(cfg.channel)}`;
let data = null;
let feed = null;
let timer = 0;

async function call(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let out = null;
  try {
    out = await res.json();
  } catch {
    // the status line says it
  }
  if (!res.ok) throw new Error(out?.error ?? `${res.status} ${res.statusText}`);
  return out;
}

function act(path, body = {}) {
  errorLine.textContent = "";
  return call("POST", `/api/streams/${encodeURIComponent(data.stream.id)}${path}`, body)
    .then(() => refreshSoon(50))
    .catch((err) => {
      errorLine.textContent = err.message;
    });
}

function button(label, onclick, cls = "") {
  return el("button", { type: "button", class: `msg-act ${cls}`, text: label, onclick });
}

function textOf(item) {
  const box = el("div", { class: "msg-text" });
  box.append(render(item.data.text ?? item.data.question ?? ""));
  return box;
}

function head(item, extra = []) {
  const d = item.data;
  return el("div", { class: "msg-head" }, ...extra, d.name ? nameTag(d.name, d.role) : null,
    el("time", { class: "msg-time", text: clock(item.t) }));
}

const renderers = {
  bugs: (item) => comment(item),
  comments: (item) => comment(item),
  questions(item) {
    return el("li", { class: "inbox-item", "data-id": item.id },
      el("div", { class: "inbox-votes", title: "votes", text: String(item.votes) }),
      el("div", { class: "inbox-body" }, head(item), textOf(item),
        item.data.anchor ? el("div", { class: "anchor-chip", text: anchorLabel(item.data.anchor) }) : null,
        el("div", { class: "r-actions" },
          button("Mark answered", () => act(`/questions/${item.id}/answered`), "primary"),
          button("Delete", () => act(`/messages/${item.id}/delete`)))));
  },
  mentions: (item) => chatItem(item),
  chat: (item) => chatItem(item),
  polls(item) {
    const d = item.data;
    const total = item.counts.reduce((a, b) => a + b, 0);
    return el("li", { class: "inbox-item", "data-id": item.id },
      el("div", { class: "inbox-body" },
        el("div", { class: "msg-head" }, el("strong", { text: d.question }), el("span", { class: "r-status", text: item.status })),
        el("ul", { class: "poll-results" }, ...d.options.map((o, i) => el("li", { text: `${o}: ${item.counts[i]}${total ? ` (${Math.round((100 * item.counts[i]) / total)}%)` : ""}` }))),
        item.status === "open" ? el("div", { class: "r-actions" }, button("Close poll", () => act(`/polls/${item.id}/close`))) : null));
  },
  sanctions(s) {
    const until = s.until ? `until ${new Date(s.until * 1000).toLocaleTimeString()}` : "until lifted";
    return el("li", { class: "inbox-item" },
      el("div", { class: "inbox-body" },
        el("div", { class: "msg-head" }, el("bdi", { text: s.name || s.user }), el("span", { class: "r-status", text: `${s.kind} · ${until}` })),
        s.reason ? el("div", { class: "msg-text", text: s.reason }) : null,
        el("div", { class: "r-actions" }, button("Lift", () => act("/mod/unban", { user: s.user })))));
  },
  staff(s) {
    return el("li", { class: "inbox-item" },
      el("div", { class: "inbox-body" },
        el("div", { class: "msg-head" }, nameTag(s.name, s.role)),
        cfg.role === "streamer" && s.role === "mod"
          ? el("div", { class: "r-actions" }, button("Remove moderator", () => act("/mod/role", { user: s.user, role: "viewer" })))
          : null));
  },
};

function comment(item) {
  const d = item.data;
  const actions = Object.entries(STATUS_LABEL)
    .filter(([s]) => s !== item.status)
    .map(([s, label]) => button(s === "open" ? "reopen" : s === "fixed" ? "mark fixed" : label, () => act(`/comments/${item.id}/status`, { status: s }), s === "fixed" ? "primary" : ""));
  return el("li", { class: `inbox-item status-${item.status}`, "data-id": item.id },
    el("div", { class: "inbox-body" },
      head(item, [el("span", { class: `r-kind kind-${d.kind}`, text: d.kind }), el("span", { class: `r-status st-${item.status}`, "data-status": item.status, text: STATUS_LABEL[item.status] })]),
      el("div", { class: "anchor-chip", text: anchorLabel(d.anchor) }),
      d.anchor?.text ? el("pre", { class: "anchor-quote", text: d.anchor.text.slice(0, 400) }) : null,
      textOf(item),
      el("div", { class: "r-actions" }, ...actions, button("Delete", () => act(`/messages/${item.id}/delete`)))));
}

function chatItem(item) {
  const d = item.data;
  const staff = d.role === "streamer" || d.role === "mod";
  const buttons = [button("Pin", () => act(`/messages/${item.id}/pin`, { pinned: true })), button("Delete", () => act(`/messages/${item.id}/delete`))];
  if (!staff && d.user !== cfg.me) {
    buttons.push(button("Timeout 10 min", () => act("/mod/timeout", { user: d.user, minutes: 10 })));
    buttons.push(button("Ban", () => act("/mod/ban", { user: d.user }), "danger"));
    if (cfg.role === "streamer" && d.user.startsWith("u:")) buttons.push(button("Make moderator", () => act("/mod/role", { user: d.user, role: "mod" })));
  }
  return el("li", { class: "inbox-item", "data-id": item.id },
    el("div", { class: "inbox-body" }, head(item), textOf(item), el("div", { class: "r-actions" }, ...buttons)));
}

function draw() {
  const s = data.stream;
  const line = root.querySelector("[data-stream-line]");
  if (s) {
    line.replaceChildren(el("span", { class: s.live ? "badge live" : "badge past", text: s.live ? "LIVE" : "Recorded" }), " ",
      el("a", { href: `/s/${encodeURIComponent(s.id)}`, text: s.title || "Untitled stream" }),
      el("span", { class: "studio-vis", text: ` · ${s.visibility}` }));
    root.querySelector("[data-watch-link]").href = `/s/${encodeURIComponent(s.id)}`;
  } else {
    line.textContent = "No stream yet: go live, and the audience's reports land here.";
  }
  for (const [key, make] of Object.entries(renderers)) {
    const list = root.querySelector(`[data-list="${key}"]`);
    if (!list) continue;
    const items = (data[key] ?? []).slice(0, 100);
    list.replaceChildren(...items.map(make));
    if (!items.length) list.append(el("li", { class: "empty-note", text: "Nothing here." }));
    const count = root.querySelector(`[data-count="${key}"]`);
    if (count) count.textContent = data[key]?.length ? String(data[key].length) : "";
  }
  root.querySelector('[data-poll-form] button').disabled = !(s && s.live);
}

async function refresh() {
  try {
    data = await call("GET", `${chanPath}/inbox`);
  } catch (err) {
    errorLine.textContent = err.message;
    return;
  }
  draw();
  follow();
}

function refreshSoon(ms = 300) {
  clearTimeout(timer);
  timer = setTimeout(refresh, ms);
}

/** Watch the live stream's socket: any audience event means the inbox changed. */
function follow() {
  const s = data.stream;
  if (feed && feed.streamId === s?.id) return;
  feed?.stop();
  feed = null;
  if (!s || !s.live) return;
  feed = new LiveFeed(s.id, {
    events: (events) => {
      if (events.some((e) => AUDIENCE.test(e.kind))) refreshSoon();
    },
  });
  feed.start();
}

// ── forms ──────────────────────────────────────────────────────────────────────────────────

root.querySelector("[data-poll-form]").addEventListener("submit", (e) => {
  e.preventDefault();
  const f = e.target;
  const options = f.options.value.split("|").map((o) => o.trim()).filter(Boolean);
  act("/polls", { question: f.question.value, options }).then(() => f.reset());
});

const settings = root.querySelector("[data-settings-form]");
if (settings) {
  call("GET", `${chanPath}/settings`).then((s) => {
    settings.visibility.value = s.visibility;
    settings.accounts_only.checked = s.accounts_only;
    settings.slow_seconds.value = s.slow_seconds;
    settings.filter.value = s.filter.join("\n");
  }).catch((err) => { errorLine.textContent = err.message; });
  settings.addEventListener("submit", async (e) => {
    e.preventDefault();
    errorLine.textContent = "";
    try {
      await call("POST", `${chanPath}/settings`, {
        visibility: settings.visibility.value,
        accounts_only: settings.accounts_only.checked,
        slow_seconds: Number(settings.slow_seconds.value || 0),
        filter: settings.filter.value.split("\n").map((w) => w.trim()).filter(Boolean),
      });
      const saved = root.querySelector("[data-saved]");
      saved.hidden = false;
      setTimeout(() => { saved.hidden = true; }, 1500);
      refreshSoon(50);
    } catch (err) {
      errorLine.textContent = err.message;
    }
  });
  const invites = root.querySelector('[data-list="invites"]');
  const loadInvites = () => call("GET", `${chanPath}/invites`).then(({ invites: list }) => {
    invites.replaceChildren(...list.map((i) => el("li", { class: "inbox-item" },
      el("div", { class: "inbox-body" },
        el("div", { class: "msg-head" }, el("bdi", { text: i.name ?? (i.link ? "invitation link" : "?") }),
          el("span", { class: "r-status", text: i.revoked ? "revoked" : i.stream ? `stream ${i.stream}` : "every stream" })),
        i.revoked ? null : el("div", { class: "r-actions" }, button("Revoke", () => call("POST", `${chanPath}/invites/${i.id}/revoke`, {}).then(loadInvites)))))));
  }).catch(() => {});
  loadInvites();
  root.querySelector("[data-invite-form]").addEventListener("submit", async (e) => {
    e.preventDefault();
    errorLine.textContent = "";
    const user = e.target.user.value.trim();
    try {
      const out = await call("POST", `${chanPath}/invites`, user ? { user } : {});
      const shown = root.querySelector("[data-invite-url]");
      shown.hidden = !out.url;
      if (out.url) shown.textContent = `Invitation link (shown once): ${location.origin}${out.url}`;
      e.target.reset();
      loadInvites();
    } catch (err) {
      errorLine.textContent = err.message;
    }
  });
}

refresh();
setInterval(refresh, 10_000);
window.studio = {
  refresh,
  get data() {
    return data;
  },
};
