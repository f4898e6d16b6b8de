"""The experiments views in Chromium, fed by real producers: a numpy training script using the
SDK (``import benchcast as wandb``) and a real IPython shell, each inside ``benchcast stream``.

The runs view: the chart grows live, a second run overlays, a run of an earlier stream of the
channel overlays from the Compare menu, a matplotlib figure appears in the gallery with its
history, and a comment anchored to a point reaches a second viewer's chart. The notebook view:
cells with their source, output and plot, and a comment anchored to a cell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..helpers import publish, publisher
from ..xss import PAYLOADS
from .conftest import VIEWPORT, BrowserServer, open_stream
from .experiments import NOTEBOOK_CELLS, ipython, runs_api, training
from .test_xss import PROBE

pytestmark = pytest.mark.timeout(180)

LOSS = "train/loss"


def own_runs(page: Any) -> list[str]:
    result: list[str] = runs_api(
        page, "[...r.runs.values()].filter((x) => !x.foreign).map((x) => x.id)"
    )
    return result


def status(page: Any, run: str) -> str:
    text: str = page.locator(f'.rchip[data-run="{run}"] .rstatus').inner_text()
    return text


def join_as_guest(page: Any, name: str) -> None:
    """Pick a guest name in the reports panel's composer (the audience API's guest session)."""
    gate = page.locator(".reports-panel form.gate")
    gate.locator("input[name=name]").fill(name)
    gate.locator("button[type=submit]").click()
    page.wait_for_selector(".reports-panel textarea.compose-text")


def test_runs_view_live_charts_overlays_figures_and_a_comment_on_a_point(
    bserver: BrowserServer, browser: Any, page: Any, page_errors: list[str], tmp_path: Path
) -> None:
    channel = bserver.channel()
    earlier = training(bserver, channel, tmp_path / "earlier", quick=150)
    earlier.wait(120)
    control = tmp_path / "live"
    live = training(bserver, channel, control)
    others: list[Any] = []
    try:
        open_stream(page, bserver.url, live.id)
        page.locator('[data-tab="runs"]').click()
        page.wait_for_selector(f'.rchart[data-metric="{LOSS}"] canvas')
        (baseline,) = own_runs(page)

        # The chart grows live: newer steps are drawn within a second, again and again.
        for _ in range(4):
            page.wait_for_function("() => window.benchcast.runs.chartLast('train/loss') !== null")
            last = runs_api(page, "r.chartLast(arg)", LOSS)
            page.wait_for_function(
                "(n) => window.benchcast.runs.chartLast('train/loss') > n", arg=last, timeout=1000
            )
        # Sections come from the names: train/… and eval/….
        sections = page.locator(".rsec[data-section]").evaluate_all(
            "(els) => els.map((e) => e.dataset.section)"
        )
        assert sections[:2] == ["train", "eval"]
        assert status(page, baseline) == "running"

        # A matplotlib figure, from its blob, in the gallery; older versions a slide away.
        figure = page.locator(f'.rfig[data-figure="predictions"][data-run="{baseline}"]')
        figure.scroll_into_view_if_needed()
        page.wait_for_function(
            """() => { const f = document.querySelector('.rfig[data-figure="predictions"]');
                       const img = f && f.querySelector('img');
                       return img && img.complete && img.naturalWidth > 100
                              && f.querySelector('.rfig-slider').max >= 1; }"""
        )
        assert figure.locator("img").get_attribute("src").startswith("/blobs/")
        page.locator('.rfig.kind-histogram[data-figure="residuals"] canvas').first.wait_for()
        figure.locator(".rfig-slider").fill("0")
        assert figure.locator(".rfig-step").inner_text() == "step 0"
        assert figure.locator(".rfig-caption").inner_text() == "baseline at step 0"

        # The eval table: compare the newest step with step 0, sort, filter.
        table = page.locator(f'.rtable[data-table="eval/samples"][data-run="{baseline}"]')
        table.scroll_into_view_if_needed()
        against = table.locator('select[aria-label="Compare with step"]')
        page.wait_for_function(
            "(s) => document.querySelector(s).options.length >= 3",
            arg=f'.rtable[data-run="{baseline}"] select[aria-label="Compare with step"]',
        )
        against.select_option(label="0")
        changed = table.locator("td.is-changed .rt-was")
        assert changed.count() >= 12  # every prediction moved since step 0
        table.locator(".rt-sort", has_text="target").click()
        targets = table.locator("tbody tr td:nth-child(3) .rt-cell").all_inner_texts()
        assert [float(x) for x in targets] == sorted(float(x) for x in targets)
        table.locator(".rt-filter").fill("off by a lot")
        assert "of 12 rows" in table.locator(".rt-count").inner_text()
        page.locator(".runs-scroll").evaluate("(e) => e.scrollTo(0, 0)")

        # A second run of the same stream overlays the first.
        (control / "next").touch()
        page.wait_for_function(
            "() => window.benchcast.runs.drawn('train/loss').length === 2", timeout=15_000
        )
        (_, second) = own_runs(page)
        page.wait_for_function(
            "(id) => document.querySelector(`.rchip[data-run='${id}'] .rstatus`)?.textContent"
            " === 'finished'",
            arg=baseline,
        )
        assert status(page, second) == "running"

        # A run of an earlier stream of the channel, from the Compare menu, dashed.
        page.get_by_role("button", name="Compare…").click()
        page.locator(f'.rc-run[data-stream="{earlier.id}"]').click()
        page.wait_for_function("() => window.benchcast.runs.drawn('train/loss').length === 3")
        drawn = runs_api(page, "r.drawn(arg)", LOSS)
        assert drawn[:2] == [baseline, second] and drawn[2].startswith(f"{earlier.id}/")
        steps = runs_api(page, "r.points(arg, 'train/loss')", drawn[2])
        assert steps == {"n": 150, "last": 149}

        # A second viewer watches the same stream.
        ctx = browser.new_context(viewport=VIEWPORT)
        others.append(ctx)
        viewer = ctx.new_page()
        viewer.on("pageerror", lambda exc: page_errors.append(f"viewer: {exc}"))
        open_stream(viewer, bserver.url, live.id)
        viewer.locator('[data-tab="runs"]').click()
        viewer.wait_for_selector(f'.rchart[data-metric="{LOSS}"] canvas')

        # The first clicks a point of the finished run: the composer opens anchored to it.
        at = page.evaluate(
            """([run, metric]) => {
                 const panel = window.benchcast.runs;
                 const u = panel.metrics.get(metric).chart.plot;
                 const s = panel.runs.get(run).series.get(metric);
                 const i = Math.floor(s.n * 0.6);
                 const box = u.over.getBoundingClientRect();
                 return { x: box.left + u.valToPos(s.x[i], "x"),
                          y: box.top + u.valToPos(s.y[i], "y") };
               }""",
            [baseline, LOSS],
        )
        page.mouse.move(at["x"], at["y"])
        page.mouse.click(at["x"], at["y"])
        anchor = runs_api(page, "r.selected")
        assert anchor["run"] == baseline and anchor["metric"] == LOSS
        join_as_guest(page, "ada")
        chip = page.locator(".reports-panel .anchor-pick .anchor-chip")
        assert chip.inner_text() == f"run {baseline} · {LOSS} @ step {anchor['step']}"
        page.locator(".reports-panel textarea.compose-text").fill("the loss jumps here: lr warmup?")
        page.locator(".reports-panel button[type=submit]").click()

        # It appears on the second viewer's chart, at that point, with its text.
        mark = viewer.locator(
            f'.rchart[data-metric="{LOSS}"] .rchart-mark[data-step="{anchor["step"]}"]'
        )
        mark.wait_for()
        assert "the loss jumps here" in mark.get_attribute("aria-label")
        page.locator(f'.rchart[data-metric="{LOSS}"] .rchart-mark').wait_for()
        assert page.locator(".rchart-mark").count() == 1
    finally:
        (control / "stop").touch()
        for ctx in others:
            ctx.close()
    live.wait(60)

    # Replay of the recorded stream, rewound to its middle: the same panel, from a keyframe
    # and the archive, has exactly the points logged by then.
    events = bserver.events(live.id)
    t = round(events[-1]["t"] / 2, 2)
    logged = [
        e["data"]["rows"]
        for e in events
        if e["kind"] == "metric" and e["data"]["run"] == baseline and e["t"] <= t
    ]
    expected = sum(len(rows) for rows in logged)
    assert expected > 0
    open_stream(page, bserver.url, live.id, f"?t={t}")
    page.locator('[data-tab="runs"]').click()
    page.wait_for_function(
        "([run, n]) => window.benchcast.runs.points(run, 'train/loss').n === n",
        arg=[baseline, expected],
    )
    assert runs_api(page, "r.points(arg, 'train/loss').last", baseline) == logged[-1][-1]["step"]


def test_spikes_survive_decimation_and_compaction(bserver: BrowserServer, page: Any) -> None:
    page.goto(bserver.url)
    got = page.evaluate(
        """async () => {
             const m = await import("/static/js/runs-data.js");
             const s = new m.Series();
             for (let i = 0; i < 300000; i += 1) {
               s.push(i, i === 123457 ? 1e6 : i === 7 ? -50 : Math.sin(i / 100));
             }
             const drawn = m.m4(s.x, s.y, s.n, 0, s.n, 600);
             const ys = Array.from(drawn, (i) => s.y[i]);
             return { kept: s.n, compacted: s.compacted, drawn: drawn.length,
                      max: Math.max(...ys), min: Math.min(...ys), last: s.x[s.n - 1] };
           }"""
    )
    assert got["compacted"] and got["kept"] <= 200_000
    assert got["drawn"] <= 4 * 600
    assert got["max"] == 1e6 and got["min"] == -50 and got["last"] == 299_999


def test_notebook_view_of_a_real_ipython_shell(
    bserver: BrowserServer, page: Any, tmp_path: Path
) -> None:
    nb = ipython(bserver, tmp_path / "nb", NOTEBOOK_CELLS, hold=30)
    try:
        open_stream(page, bserver.url, nb.id)
        page.locator('[data-tab="notebook"]').click()
        plot = page.locator(".nbv-cell", has=page.locator(".nbv-image"))
        plot.scroll_into_view_if_needed()
        page.wait_for_function(
            """() => { const img = document.querySelector('.nbv-image img');
                       return img && img.complete && img.naturalWidth > 200; }"""
        )
        assert plot.locator(".nbv-image img").get_attribute("src").startswith("/blobs/")
        source = plot.locator(".nbv-src")
        assert "plt.title('damped sine')" in source.inner_text()
        assert source.locator(".hljs-keyword", has_text="with").count() == 1  # highlighted
        assert plot.locator(".nbv-stream").inner_text().strip() == "sampling 200 points"
        assert plot.locator(".nbv-prompt").inner_text() == "[4]"

        # HTML output: the table stays; what could run script does not.
        html = page.locator(".nbv-html")
        html.locator("table td", has_text="0.31").wait_for()
        assert html.locator("img").count() == 0
        assert "link" in html.inner_text()
        assert (
            html.evaluate("(e) => [...e.querySelectorAll('[href], [src], [onerror]')].length") == 0
        )
        assert page.title() != "1"
        error = page.locator('.nbv-cell[data-status="error"]')
        assert error.locator(".nbv-err-head").inner_text() == "ZeroDivisionError: division by zero"
        assert (
            page.locator(".nbv-cell", has_text="sum(range(10))").locator(".nbv-text").inner_text()
            == "45"
        )

        # A comment anchored to the plot's cell shows under it.
        plot.hover()
        plot.locator(".nbv-comment-btn").click()
        join_as_guest(page, "grace")
        chip = page.locator(".reports-panel .anchor-pick .anchor-chip")
        assert chip.inner_text().startswith("analysis.ipynb · cell ")
        page.locator(".reports-panel textarea.compose-text").fill("why does it damp so fast?")
        page.locator(".reports-panel button[type=submit]").click()
        comment = plot.locator(".nbv-comment")
        comment.wait_for()
        assert comment.inner_text().replace("\n", " ") == "grace why does it damp so fast?"
    finally:
        nb.proc.terminate()
        nb.proc.wait(30)


def test_hostile_text_in_runs_tables_and_notebook_outputs_runs_nothing(
    bserver: BrowserServer, page: Any
) -> None:
    """Every payload of the XSS corpus as a run's name, config, metric name and table cells,
    and as a notebook cell's source and its text, markdown and HTML outputs."""
    _, key = bserver.channel()
    ws, welcome = publisher(bserver.url, key, title="hostile experiments")
    events: list[dict[str, Any]] = []

    def add(kind: str, source: str, data: dict[str, Any]) -> None:
        events.append({"pseq": len(events) + 1, "t": len(events) * 0.01, "kind": kind,
                       "source": source, "data": data})  # fmt: skip

    for i, payload in enumerate(PAYLOADS):
        outputs = [
            {"type": "html", "html": payload},
            {"type": "markdown", "text": payload},
            {"type": "text", "text": payload},
            {"type": "stream", "name": "stderr", "text": payload},
        ]
        cell = {"notebook": "x.ipynb", "cell": f"c{i}", "source": payload, "outputs": outputs}
        add("nb.cell", "nb:x", {**cell, "execution_count": i})
    add("run.start", "run:r1", {"run": "r1", "name": PAYLOADS[4][:200],
                                "config": {p[:100]: p for p in PAYLOADS[:40]}})  # fmt: skip
    rows = [{"step": 0, "values": {p[:200]: 1.0 for p in PAYLOADS[:60]}},
            {"step": 1, "values": {p[:200]: 2.0 for p in PAYLOADS[:60]}}]  # fmt: skip
    add("metric", "run:r1", {"run": "r1", "rows": rows, "pending": None})
    cells = [[p, p] for p in PAYLOADS[:100]]
    add("table", "run:r1", {"run": "r1", "key": PAYLOADS[0][:200], "step": 1,
                            "columns": ["a", PAYLOADS[5][:200]], "rows": cells, "offset": 0,
                            "total": len(cells)})  # fmt: skip
    add("run.update", "run:r1", {"run": "r1", "summary": {p[:100]: p for p in PAYLOADS[40:80]}})
    for i in range(0, len(events), 50):
        publish(ws, events[i : i + 50])
    open_stream(page, bserver.url, welcome["stream"])
    page.locator('[data-tab="notebook"]').click()
    page.wait_for_function(
        f"() => document.querySelectorAll('.nbv-cell').length === {len(PAYLOADS)}"
    )
    content = (".nbv-outs, .nbv-src, .rchip-name, .rover tbody, .rt-cell, .rt-sort, .rt-title, "
               ".rchart-title")  # fmt: skip
    assert page.evaluate(PROBE, content) == []
    page.locator('[data-tab="runs"]').click()
    page.wait_for_selector(".rtable .rt tbody tr")
    page.locator(".rtable").scroll_into_view_if_needed()
    page.locator(".rover").scroll_into_view_if_needed()
    assert page.locator(".rchart").count() == 60
    assert page.evaluate(PROBE, content) == []
    ws.close()
