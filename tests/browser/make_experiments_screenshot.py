"""Screenshots of the experiments views: the runs view with two runs of a live stream and one of
an earlier stream overlaid, and the notebook view of a real IPython session.

Not a test: run it by hand after changing the design, and look at the result.

    .venv/bin/python -m tests.browser.make_experiments_screenshot [--out DIR]

writes runs.png, runs-media.png, runs-tables.png and notebook.png into DIR (build/screenshots).

It starts the browser tests' real server, streams yesterday's short run, then today's live
training script, and an IPython shell, and opens the pages in Chromium.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from .conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, BrowserServer
from .experiments import NOTEBOOK_CELLS, ipython, training

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        srv = BrowserServer(root)
        errors: list[str] = []
        try:
            channel = srv.channel()
            training(srv, channel, root / "yesterday", quick=400).wait(120)
            live = training(srv, channel, root / "today")
            nb = ipython(srv, root / "nb", NOTEBOOK_CELLS, hold=60)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.goto(f"{srv.url}/s/{live.id}")
                page.wait_for_function("() => window.benchcast !== undefined")
                page.evaluate("() => window.benchcast.ready")
                page.locator('[data-tab="runs"]').click()
                time.sleep(6)
                (root / "today" / "next").touch()
                time.sleep(6)
                page.locator("text=Compare…").click()
                page.locator(".rc-run").first.click()
                page.wait_for_function(
                    "() => window.benchcast.runs.drawn('train/loss').length === 3"
                )
                page.locator(".runs-scroll").evaluate("(e) => e.scrollTo(0, 0)")
                time.sleep(1.5)
                page.screenshot(path=str(args.out / "runs.png"))
                page.locator(".rsec-media").evaluate("(e) => e.scrollIntoView()")
                time.sleep(0.5)
                page.screenshot(path=str(args.out / "runs-media.png"))
                page.locator(".rsec-tables").evaluate("(e) => e.scrollIntoView()")
                time.sleep(0.5)
                page.screenshot(path=str(args.out / "runs-tables.png"))
                (root / "today" / "stop").touch()

                page.goto(f"{srv.url}/s/{nb.id}")
                page.wait_for_function("() => window.benchcast !== undefined")
                page.evaluate("() => window.benchcast.ready")
                page.locator('[data-tab="notebook"]').click()
                page.wait_for_selector(".nbv-image img")
                time.sleep(1)
                page.locator(".nbv-cell", has=page.locator(".nbv-image")).evaluate(
                    "(e) => e.scrollIntoView()"
                )
                time.sleep(0.5)
                page.screenshot(path=str(args.out / "notebook.png"))
                browser.close()
            live.wait(60)
            nb.proc.kill()
        finally:
            srv.stop()
        if errors:
            print("page errors:", *errors, sep="\n  ")
    print(f"wrote {args.out}/runs.png, runs-media.png, runs-tables.png, notebook.png")


if __name__ == "__main__":
    main()
