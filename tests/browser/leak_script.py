"""Plays a plan of output, file edits and SDK calls, as a streamer's work would make them, for
the redaction browser test (``test_redaction.py``)::

    python leak_script.py PLAN.json

The plan is a list of steps, each one of:

* ``{"out": TEXT}``: write TEXT to stdout as bytes (TEXT holds them as Latin-1, so a step can
  end inside a UTF-8 character) and flush, so it reaches the pty as its own read;
* ``{"sleep": SECONDS}``;
* ``{"file": PATH, "text": TEXT}``: write a file (a path relative to the working folder);
* ``{"sdk": {"config": {...}, "metrics": {...}, "figure": TITLE}}``: a run through the SDK
  with that config, logging those metrics once, and a matplotlib figure with that title as
  SVG (key ``plot``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    steps = json.loads(Path(sys.argv[1]).read_text())
    out = sys.stdout.buffer
    for step in steps:
        if "out" in step:
            out.write(step["out"].encode("latin-1"))
            out.flush()
        elif "sleep" in step:
            time.sleep(step["sleep"])
        elif "file" in step:
            Path(step["file"]).write_text(step["text"])
        elif "sdk" in step:
            import matplotlib

            import benchcast

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            run = benchcast.init(project="leak-check", config=step["sdk"]["config"])
            fig, ax = plt.subplots(figsize=(2, 2))
            ax.plot([1, 2, 3], [3, 1, 2])
            ax.set_title(step["sdk"]["figure"])
            plot = benchcast.Image(fig, file_type="svg")
            benchcast.log({**step["sdk"]["metrics"], "plot": plot})
            run.finish()


if __name__ == "__main__":
    main()
