/**
 * The machine, compactly: CPU, memory and each GPU's utilisation, memory and temperature, from
 * the newest `sys` reading of each source (a run samples every 5 s). A machine without GPUs
 * (no NVML, no device) says so instead of showing empty gauges.
 *
 * Not a player panel of its own: the runs panel feeds it the fold's `sys` and each `sys` event.
 */

import { bytes } from "./format.js";
import { el } from "./ui.js";

function pct(v) {
  return v === null || v === undefined ? null : Math.max(0, Math.min(100, v));
}

/** A labelled bar: "CPU ▮▮▮▯▯ 42 %" with an optional detail under the number. */
function gauge(label, percent, text, detail = "", { hot = 90 } = {}) {
  const p = pct(percent);
  const bar = el("span", { class: "sys-bar" }, el("i", { style: `width:${p ?? 0}%` }));
  if (p !== null && p >= hot) bar.classList.add("is-hot");
  return el(
    "div",
    { class: "sys-gauge", title: detail || text },
    el("span", { class: "sys-label", text: label }),
    bar,
    el("span", { class: "sys-num", text }),
  );
}

export class SysInfo {
  constructor() {
    this.readings = new Map();
    this.element = el("div", { class: "sysinfo", "aria-label": "Machine", hidden: true });
  }

  reset(sys) {
    this.readings = new Map(Object.entries(sys ?? {}));
    this.render();
  }

  apply(ev) {
    this.readings.set(ev.source, { t: ev.t, ...ev.data });
    this.render();
  }

  render() {
    this.element.hidden = this.readings.size === 0;
    const rows = [];
    for (const [source, r] of this.readings) {
      const items = [];
      if (this.readings.size > 1) items.push(el("span", { class: "sys-source", text: source }));
      if (r.cpu !== null && r.cpu !== undefined) {
        items.push(gauge("CPU", r.cpu, `${Math.round(r.cpu)} %`, r.cores ? `${r.cores} cores` : ""));
      }
      if (r.mem_total) {
        const p = (100 * (r.mem_used ?? 0)) / r.mem_total;
        items.push(gauge("RAM", p, `${bytes(r.mem_used ?? 0)} / ${bytes(r.mem_total)}`));
      }
      if (r.gpu === "ok" && r.gpus?.length) {
        for (const g of r.gpus) {
          const mem = g.mem_total ? (100 * (g.mem_used ?? 0)) / g.mem_total : null;
          const name = (g.name || "GPU").replace(/^NVIDIA\s+/, "");
          const box = el("div", { class: "sys-gpu", "data-gpu": String(g.index) },
            el("span", { class: "sys-gpu-name", title: g.name, text: `GPU ${g.index} · ${name}` }),
            gauge("util", g.util, g.util === null || g.util === undefined ? "–" : `${Math.round(g.util)} %`),
            gauge("mem", mem, g.mem_total ? `${bytes(g.mem_used ?? 0)} / ${bytes(g.mem_total)}` : "–"),
          );
          const extra = [];
          if (g.temp !== null && g.temp !== undefined) extra.push(`${Math.round(g.temp)} °C`);
          if (g.power !== null && g.power !== undefined) extra.push(`${Math.round(g.power)} W`);
          if (extra.length) {
            const hot = g.temp !== null && g.temp !== undefined && g.temp >= 85;
            box.append(el("span", { class: `sys-temp${hot ? " is-hot" : ""}`, text: extra.join(" · ") }));
          }
          items.push(box);
        }
      } else {
        const why = r.gpu === "error" ? `GPU unreadable${r.note ? `: ${r.note}` : ""}` : `No GPU${r.note ? ` · ${r.note}` : ""}`;
        items.push(el("span", { class: `sys-nogpu${r.gpu === "error" ? " is-error" : ""}`, "data-gpu-state": r.gpu, text: why }));
      }
      rows.push(el("div", { class: "sys-row", "data-source": source }, ...items));
    }
    this.element.replaceChildren(...rows);
  }
}
