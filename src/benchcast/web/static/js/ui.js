/**
 * Small DOM helpers shared by the audience panels and the studio. Nothing here ever turns a
 * string into HTML: text is always set as text.
 */

/** A small element factory: el("div", {class: "x"}, child, "text"). Text is always text. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

/**
 * An image stored as a blob (a figure, a notebook output). The streamer's machine withholds
 * one that shows a secret (an SVG's text): then it says so instead of a broken picture.
 */
export function blobImage(blob, alt, width, height) {
  const img = el("img", { src: `/blobs/${blob}`, alt, width, height, loading: "lazy", decoding: "async" });
  img.addEventListener("error", () => {
    img.replaceWith(el("span", { class: "img-missing", text: "image not sent (it may show a secret)" }));
  }, { once: true });
  return img;
}

/** A person's name as shown: role badges for the streamer and moderators, guests marked. */
export function nameTag(name, role) {
  const tag = el("span", { class: `who role-${role ?? "viewer"}`, title: roleTitle(role) });
  if (role === "streamer" || role === "mod") {
    tag.append(el("span", { class: "role-badge", text: role === "streamer" ? "streamer" : "mod" }));
  }
  tag.append(el("bdi", { class: "who-name", text: name ?? "?" }));
  return tag;
}

function roleTitle(role) {
  return {
    streamer: "The streamer",
    mod: "A moderator",
    viewer: "A viewer with an account",
    guest: "A guest (no account)",
  }[role] ?? "";
}

/** A short human label for an anchor. */
export function anchorLabel(a) {
  if (!a) return "";
  if (a.file) {
    const lines = a.end_line && a.end_line !== a.line ? `${a.line}–${a.end_line}` : `${a.line ?? ""}`;
    return `${a.file}:${lines}`;
  }
  if (a.term) return `${a.term} at event ${a.seq ?? "?"}${a.end_seq ? `–${a.end_seq}` : ""}`;
  if (a.run) return `run ${a.run}${a.metric ? ` · ${a.metric}` : ""}${a.step !== undefined ? ` @ step ${a.step}` : ""}`;
  if (a.figure) return `figure ${a.figure}`;
  if (a.notebook) return `${a.notebook} · cell ${a.cell ?? "?"}`;
  if (a.table) return `table ${a.table} · row ${a.row ?? "?"}`;
  if (a.paper) {
    const quote = a.quote ? ` “${a.quote.length > 60 ? `${a.quote.slice(0, 59)}…` : a.quote}”` : "";
    return `paper p. ${a.page ?? "?"}${quote}`;
  }
  return "";
}

/** "m:ss" (or "h:mm:ss") for stream time t. */
export function clock(t) {
  const s = Math.max(0, Math.floor(t));
  const mm = String(Math.floor((s % 3600) / 60)).padStart(s >= 3600 ? 2 : 1, "0");
  const ss = String(s % 60).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

/**
 * What a panel's composer shows to someone who cannot write yet: a name to pick (a guest
 * session), or a link to log in. Calls `done()` once they can write.
 */
export function nameGate(client, done) {
  const input = el("input", {
    class: "gate-name",
    name: "name",
    placeholder: "Pick a display name",
    maxlength: 24,
    autocomplete: "nickname",
    "aria-label": "Display name",
  });
  const error = el("p", { class: "form-error", role: "alert" });
  const form = el(
    "form",
    { class: "gate" },
    input,
    el("button", { type: "submit", class: "btn", text: "Join chat" }),
    el("p", { class: "gate-alt" }, "or ", el("a", { href: `/login?next=${encodeURIComponent(location.pathname)}`, text: "log in" })),
    error,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    try {
      await client.guest(input.value);
      done();
    } catch (err) {
      error.textContent = err.message;
    }
  });
  return form;
}
