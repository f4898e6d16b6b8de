"""Redaction benchmark: throughput, added latency and false positives on ordinary output.

    python bench/redact.py                 # ~20 MB corpus, 2 MB detect-secrets sample
    python bench/redact.py --quick         # smoke run: 2 MB corpus, 0.25 MB sample
    python bench/redact.py --mb 50 --ds-mb 1 --profile
    python bench/redact.py --repeat 5          # more passes on a busy machine

What it measures, on a seeded corpus of ordinary scientific terminal output (``bench/corpus.py``:
pip/uv/conda installs, training logs with colours and tqdm bars, git log, lockfiles, pytest,
nvidia-smi, tracebacks, docker, SLURM, checksums, paths, UUIDs; ``\\r\\n`` line ends, no
secrets):

- throughput: the whole corpus through one ``TermRedactor`` (as ``Redactor`` builds it: a
  ``LearningScanner`` over a ``Scanner`` holding a few known values) in pty-read-sized chunks
  of 1-64 KiB, a synthetic clock and a ``tick`` after every read as the pump does; one thread,
  so MB/s is per core. The pass runs ``--repeat`` times (a fresh redactor each time): the
  median is the figure, the range shows how busy the machine was. Then ``Scanner.find`` alone
  on the same chunks, and per kind of output.
  A second pass without the lines redrawn in place (``\\r``) shows what the line-edit path costs.
- added latency for newline-terminated output: the time each ``feed()`` call takes (wall and
  CPU) on chunks of whole lines (80-2,000 characters, a log line or a few), p50/p99; and
  whether each chunk came back from the same call (nothing held back).
- the hold on ``\\r`` progress bars (no newline): with redraws every 0.1-0.3 s (tqdm) or every
  50 ms, the pump ticking every 10 ms, how long each redraw waits before it is sent
  (informational: an unfinished line waits for ``IDLE_HOLD`` of quiet or 4 KiB).
- false positives: every finding on this corpus is one, per MB (target <= 1). Lines that the
  redactor masked are printed with the rule, and so are lines that ``Scanner.find`` flags when
  each visible line is scanned alone. And the 63 hard negatives of the shared gitleaks
  fixtures (target: none flagged), each alone and all through the redactor.
- the baseline, detect-secrets (``pip install detect-secrets``): its ad-hoc line scan
  (``scan_line``, all plugins, default filters) and the per-line path of ``detect-secrets scan``
  on the first ``--ds-mb`` MB of the same corpus: MB/s and findings per MB. Benchcast runs on
  the same sample for the ratio, which is the last line.
- sanity: how many of the fake secrets in ``tests/secrets/fake_secrets.py`` each tool finds
  (benchcast must find all; the exit status is 1 if it misses one).

MB is 10**6 bytes of UTF-8. Throughput is bytes per second of this process's CPU time (the
machine may be shared), so it is per core; latency is given as wall and as CPU time.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import os
import platform
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "src"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

MB = 1_000_000
MASK_CHAR = "•"
REDRAW = re.compile(r"\r(?!\n|$)")
SHOW = 8  # flagged lines printed per list


# ── helpers ──────────────────────────────────────────────────────────────────────────────


def nbytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q / 100 * len(s)))]


def short(text: str, limit: int = 160) -> str:
    text = text.rstrip("\r\n")
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def visible(line: str) -> str:
    """A raw line as the screen shows it."""
    from benchcast.secrets.visible import edit_line, project

    return edit_line(line) if REDRAW.search(line) else project(line).plain.rstrip("\r\n")


def pty_chunks(text: str, seed: int) -> list[str]:
    """Cut the output as pty reads would: mostly ~4 KiB, some smaller, some up to 64 KiB."""
    rng = random.Random(seed)
    out = []
    pos = 0
    while pos < len(text):
        x = rng.random()
        if x < 0.40:
            n = 4095
        elif x < 0.60:
            n = rng.randint(1024, 4096)
        elif x < 0.80:
            n = rng.randint(4096, 16384)
        elif x < 0.95:
            n = rng.randint(16384, 65536)
        else:
            n = 65536
        out.append(text[pos : pos + n])
        pos += n
    return out


def line_chunks(text: str, seed: int, lo: int = 80, hi: int = 2000) -> list[str]:
    """Whole lines, grouped into chunks of ``lo``-``hi`` characters (a line or a few)."""
    rng = random.Random(seed)
    lines = [x + "\n" for x in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    if not lines[-1]:
        lines.pop()
    out = []
    i = 0
    while i < len(lines):
        target = rng.randint(lo, hi)
        j = i
        size = 0
        while j < len(lines) and (size < target or j == i):
            if j > i and size + len(lines[j]) > hi:
                break
            size += len(lines[j])
            j += 1
        out.append("".join(lines[i:j]))
        i = j
    return out


def known_values() -> list[str]:
    """A streamer's known secrets (made up; none of them is in the corpus)."""
    from tests.secrets.fake_secrets import secret_part

    rules = (
        "huggingface-token",
        "wandb-key",
        "openai-project-key",
        "aws-access-key",
        "password-assignment",
        "github-token",
    )
    return [secret_part(r) for r in rules] + ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYzAbCdEfGh"]


def new_term(known: list[str]) -> Any:
    from benchcast.broadcast.redact import LearningScanner, TermRedactor
    from benchcast.secrets.scanner import Scanner

    return TermRedactor(LearningScanner(Scanner(known)), cols=200, rows=50)


# ── measurements ─────────────────────────────────────────────────────────────────────────


def run_stream(term: Any, chunks: list[str], seed: int) -> tuple[float, float, str]:
    """Feed every chunk, ticking after each as the pump does; now and then the output pauses
    long enough for an unfinished line to be released. Returns (CPU s, wall s, output)."""
    rng = random.Random(seed)
    out: list[str] = []
    now = 1000.0
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    for chunk in chunks:
        now += 0.002
        out += term.feed(chunk, now)
        if rng.random() < 0.02:
            now += 0.3
        out += term.tick(now)
    out += term.flush()
    return time.process_time() - c0, time.perf_counter() - t0, "".join(out)


def time_scanner(chunks: list[str]) -> tuple[float, int]:
    from benchcast.secrets.scanner import Scanner

    scanner = Scanner(known_values())
    found = 0
    gc.collect()
    c0 = time.process_time()
    for chunk in chunks:
        found += len(scanner.find(chunk))
    return time.process_time() - c0, found


def per_kind(text: str, segments: list[tuple[str, int, int]]) -> list[tuple[str, int, float]]:
    """Scanner.find throughput per kind of output, in pty-sized chunks of that kind's text."""
    from benchcast.secrets.scanner import Scanner

    scanner = Scanner(known_values())
    by_kind: dict[str, list[str]] = {}
    for kind, a, b in segments:
        by_kind.setdefault(kind, []).append(text[a:b])
    rows = []
    for kind, parts in by_kind.items():
        joined = "".join(parts)
        chunks = pty_chunks(joined, 7)
        c0 = time.process_time()
        for c in chunks:
            scanner.find(c)
        dt = time.process_time() - c0
        rows.append((kind, nbytes(joined), nbytes(joined) / dt / MB))
    return sorted(rows, key=lambda r: r[2])


def line_kinds(text: str, segments: list[tuple[str, int, int]]) -> list[str]:
    """The kind of output each line (split on ``\\n``) belongs to."""
    starts = [a for _k, a, _b in segments]
    kinds = []
    pos = 0
    for line in text.split("\n"):
        kinds.append(segments[max(0, bisect.bisect_right(starts, pos) - 1)][0])
        pos += len(line) + 1
    return kinds


def masked_lines(output: str) -> list[tuple[int, str]]:
    """(line number, line) of each output line with a mask in it."""
    return [(i, line) for i, line in enumerate(output.split("\n")) if MASK_CHAR in line]


def scan_lines(text: str) -> Iterator[tuple[int, str, list[Any]]]:
    """Each visible line of the text that Scanner.find flags: (line number, line, findings)."""
    from benchcast.secrets.scanner import Scanner

    scanner = Scanner()
    for i, raw in enumerate(text.split("\n")):
        line = visible(raw)
        found = scanner.find(line)
        if found:
            yield i, line, found


def _rules_of(raw: str, masked: str) -> str:
    """The rules behind the masks in a line: the labels, or a re-scan where they are cut."""
    from benchcast.secrets.scanner import Scanner

    labels = set(re.findall(r"•\[([\w-]+)\]", masked))
    if "•" in re.sub(r"•+\[[\w-]+\]", "", masked):
        labels |= {f.rule for f in Scanner().find(visible(raw))} or {"?"}
    return ",".join(sorted(labels))


def show_examples(items: list[tuple[str, str, str]], per_group: int = 3) -> None:
    """How many flagged lines each (rules, kind of output) has, with a few distinct examples.
    ``items``: (rules, kind, text)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for rules, kind, text in items:
        groups.setdefault((rules, kind), []).append(text)
    for (rules, kind), texts in sorted(groups.items(), key=lambda g: -len(g[1]))[:SHOW]:
        print(f"  {len(texts):>5} lines, {rules}, in {kind} output, e.g.:")
        seen: set[str] = set()
        for text in texts:
            shape = re.sub(r"[0-9a-f]{6,}|\d+", "#", text)[:40]
            if shape not in seen:
                seen.add(shape)
                print(f"          {text}")
            if len(seen) == per_group:
                break
    if len(groups) > SHOW:
        print(f"  … and {len(groups) - SHOW} more groups of flagged lines")


def latency(
    text: str, known: list[str], seed: int
) -> tuple[list[float], list[float], int, int, int]:
    """Per-feed wall and CPU time (ms) on whole-line chunks; how many came back whole."""
    term = new_term(known)
    chunks = line_chunks(text, seed)
    times: list[float] = []
    cpu: list[float] = []
    same = held = 0
    now = 5000.0
    gc.collect()
    for chunk in chunks:
        now += 1.0
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        out = term.feed(chunk, now)
        times.append((time.perf_counter_ns() - t0) / 1e6)
        cpu.append((time.thread_time_ns() - c0) / 1e6)
        if term.pending:
            held += 1
        elif "".join(out) == chunk:
            same += 1
        out = term.tick(now + 0.5)
    return times, cpu, same, held, sum(len(c) for c in chunks)


def progress_hold(
    known: list[str], seed: int, every: tuple[float, float], bars: int = 40
) -> list[float]:
    """tqdm-style redraws (``\\r`` + bar, no newline) every ``every`` seconds (a range), the
    pump ticking every 10 ms: seconds from each redraw's arrival until it is sent."""
    rng = random.Random(seed)
    term = new_term(known)
    delays: list[float] = []
    now = 100.0
    sent = 0  # characters sent so far
    fed = 0
    waiting: list[tuple[int, float]] = []  # (end offset of a redraw, when it arrived)

    def take(out: list[str], t: float) -> None:
        nonlocal sent
        sent += sum(len(o) for o in out)
        while waiting and waiting[0][0] <= sent:
            delays.append(t - waiting.pop(0)[1])

    for b in range(bars):
        total = rng.randint(200, 5000)
        steps = rng.randint(20, 80)
        for i in range(steps + 1):
            n = total * i // steps
            text = (
                f"\rEpoch {b}: {n * 100 // total:3d}%|{'█' * (n * 10 // total):<10}| {n}/{total} "
                f"[00:{i % 60:02d}<01:{(steps - i) % 60:02d}, {rng.uniform(1, 30):5.2f}it/s, "
                f"loss={rng.uniform(0.1, 3):.4f}]"
            )
            if i == steps:
                text += "\r\n"
            fed += len(text)
            waiting.append((fed, now))
            take(term.feed(text, now), now)
            nxt = now + rng.uniform(*every)
            t = now
            while t + 0.01 < nxt:
                t += 0.01
                take(term.tick(t), t)
            now = nxt
    take(term.flush(), now)
    return delays


def hard_negatives() -> list[str] | None:
    """The 63 lines of the shared gitleaks fixtures that must not be flagged."""
    path = (
        ROOT.parent / "shared" / "fixtures" / "secrets" / "gitleaks" / "generic_hard_negatives.txt"
    )
    return path.read_text().splitlines() if path.is_file() else None


def hard_negatives_flagged(lines: list[str], known: list[str]) -> int:
    """How many of ``lines`` are flagged: scanned alone, or changed by the redactor."""
    from benchcast.secrets.scanner import Scanner

    scanner = Scanner(known)
    flagged = {i for i, line in enumerate(lines) if scanner.find(line)}
    term = new_term(known)
    text = "\r\n".join(lines) + "\r\n"
    out = "".join(term.feed(text, 0.0) + term.flush())
    flagged |= {i for i, line in enumerate(out.split("\r\n")[: len(lines)]) if line != lines[i]}
    return len(flagged)


# ── detect-secrets ───────────────────────────────────────────────────────────────────────


def detect_secrets() -> tuple[Any, Callable[[str], list[Any]], Callable[[list[str]], list[Any]]]:
    """(default_settings, scan one line, scan lines as `detect-secrets scan` does a file)."""
    from detect_secrets.core import scan as ds_scan
    from detect_secrets.settings import default_settings

    def one(line: str) -> list[Any]:
        return list(ds_scan.scan_line(line))

    def file_mode(lines: list[str]) -> list[Any]:
        return list(
            ds_scan._process_line_based_plugins(
                list(enumerate(lines, 1)), filename="terminal-output.log"
            )
        )

    return default_settings, one, file_mode


def fake_lines() -> dict[str, str]:
    from tests.secrets.fake_secrets import FAKE

    return {rule: f"[12:00:01] INFO using {v} for the upload\r\n" for rule, v in FAKE.items()}


def ours_finds_fakes(known: list[str]) -> tuple[int, list[str]]:
    from tests.secrets.fake_secrets import secret_part

    missed = []
    lines = fake_lines()
    for rule, text in lines.items():
        term = new_term(known)
        out = "".join(term.feed(text, 0.0) + term.flush())
        if secret_part(rule) in out:
            missed.append(rule)
    return len(lines) - len(missed), missed


# ── main ─────────────────────────────────────────────────────────────────────────────────


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=20.0, help="corpus size in MB (default 20)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 MB, 0.25 MB sample")
    ap.add_argument("--ds-mb", type=float, default=None, help="detect-secrets sample (MB)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", action="store_true", help="cProfile the stream pass")
    ap.add_argument("--repeat", type=int, default=3, help="stream passes (median; default 3)")
    args = ap.parse_args()
    size_mb = 2.0 if args.quick else args.mb
    ds_mb = args.ds_mb if args.ds_mb is not None else (0.25 if args.quick else 2.0)

    from bench.corpus import generate
    from benchcast.secrets.rules import RULES

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"benchcast redaction benchmark — Python {platform.python_version()} on "
        f"{platform.machine()} ({os.cpu_count()} CPUs, load average {load}), {len(RULES)} "
        "rules, one thread (MB/s is per core)"
    )
    t0 = time.perf_counter()
    text, segments = generate(int(size_mb * MB), seed=args.seed)
    size = nbytes(text)
    mbs = size / MB
    kinds: Counter[str] = Counter()
    for kind, a, b in segments:
        kinds[kind] += b - a
    redraw = sum(len(x) for x in text.split("\n") if REDRAW.search(x))
    print(
        f"corpus: {mbs:.2f} MB, {text.count(chr(10)):,} lines, {len(segments):,} segments, "
        f"{redraw / len(text):.0%} in \\r-redrawn lines (seed {args.seed}, built in "
        f"{time.perf_counter() - t0:.1f} s)"
    )
    print("corpus mix: " + ", ".join(f"{k} {v / len(text):.1%}" for k, v in kinds.most_common()))
    known = known_values()

    # Sanity: every fake secret is found.
    found, missed = ours_finds_fakes(known)
    print(
        f"fake secrets found (benchcast, through TermRedactor): {found}/{found + len(missed)}"
        + (f" — MISSED: {', '.join(missed)}" if missed else "")
    )

    # Throughput.
    chunks = pty_chunks(text, args.seed)
    term = new_term(known)
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
    secs, wall, output = run_stream(term, chunks, args.seed)
    if args.profile:
        prof.disable()
    passes = [mbs / secs] + [
        mbs / run_stream(new_term(known), chunks, args.seed)[0]
        for _ in range(max(0, args.repeat - 1))
    ]
    stream_mbs = statistics.median(passes)
    print(
        f"throughput, TermRedactor (feed+tick, {len(chunks):,} pty-sized chunks of 1-64 KiB): "
        f"{stream_mbs:.1f} MB/s of CPU time, median of {len(passes)} passes (range "
        f"{min(passes):.1f}-{max(passes):.1f}; first pass {secs:.2f} s CPU, {wall:.2f} s wall = "
        f"{mbs / wall:.1f} MB/s; target >= 25 MB/s per core)"
    )
    if args.profile:
        print("profile of the stream pass (top 15 by own time):")
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(15)
    # The same output without the lines that are redrawn in place (tqdm/pip bars, git's
    # counters): what the line-edit path costs.
    plain = "\n".join(x for x in text[: 4 * MB].split("\n") if not REDRAW.search(x))
    psecs, _w, _o = run_stream(new_term(known), pty_chunks(plain, args.seed), args.seed)
    print(
        f"throughput, TermRedactor without the \\r-redrawn lines (first 4 MB): "
        f"{nbytes(plain) / MB / psecs:.1f} MB/s"
    )
    ssecs, _ = time_scanner(chunks)
    print(f"throughput, Scanner.find alone (same chunks): {mbs / ssecs:.1f} MB/s")
    rows = per_kind(text, segments)
    print(
        "Scanner.find by kind of output (slowest first): "
        + ", ".join(f"{k} {v:.1f}" for k, _n, v in rows)
        + " MB/s"
    )

    # False positives: what the redactor masked while streaming.
    counts = term.counts
    n_fp = sum(counts.values())
    masked = masked_lines(output)
    unchanged = output == text
    kinds_of = line_kinds(text, segments)
    print(
        f"false positives, as streamed (TermRedactor masks): {n_fp} = {n_fp / mbs:.2f} per MB "
        f"(target <= 1 per MB); output identical to input: {'yes' if unchanged else 'no'}"
        + (f"; rules: {dict(counts.most_common())}" if counts else "")
    )
    raw_lines = text.split("\n")
    show_examples(
        [(_rules_of(raw_lines[i], line), kinds_of[i], short(visible(line))) for i, line in masked]
    )
    # … and each visible line scanned alone, with the span each rule took.
    flagged = list(scan_lines(text))
    rules: Counter[str] = Counter(f.rule for _i, _line, fs in flagged for f in fs)
    n_line = sum(rules.values())
    by_kind: Counter[str] = Counter(kinds_of[i] for i, _line, fs in flagged for _f in fs)
    print(
        f"false positives, Scanner.find per visible line: {n_line} in {len(flagged)} lines = "
        f"{n_line / mbs:.2f} per MB"
        + (
            f"; rules: {dict(rules.most_common())}; by kind: {dict(by_kind.most_common())}"
            if rules
            else ""
        )
    )
    show_examples(
        [
            (
                ",".join(sorted({f.rule for f in fs})),
                kinds_of[i],
                "["
                + "; ".join(repr(line[f.start : f.end][:60]) for f in fs)
                + "] in "
                + short(line, 130),
            )
            for i, line, fs in flagged
        ]
    )

    # The hard negatives of the shared fixtures: each line alone, and all through the redactor.
    hard = hard_negatives()
    if hard is None:
        print("hard negatives: ../shared/fixtures/secrets/gitleaks/ not found, not measured")
        n_hard = 0
    else:
        n_hard = hard_negatives_flagged(hard, known)
        print(f"false positives, hard negatives (gitleaks fixtures): {n_hard}/{len(hard)} flagged")

    # Latency for newline-terminated output.
    lat_text = text[: text.rfind("\n", 0, 4 * MB) + 1 or len(text)]
    times, cpu, same, held, chars = latency(lat_text, known, args.seed)
    print(
        f"latency, feed() on newline-terminated chunks ({len(times):,} chunks of 80-2,000 "
        f"chars, mean {chars / len(times):.0f}): p50 {pct(times, 50):.2f} ms, p90 "
        f"{pct(times, 90):.2f} ms, p99 {pct(times, 99):.2f} ms, max {max(times):.1f} ms wall "
        f"(CPU p50 {pct(cpu, 50):.2f} ms, p99 {pct(cpu, 99):.2f} ms; target p99 <= 50 ms)"
    )
    print(
        f"latency, complete lines emitted by the same feed() call: {same}/{len(times)}"
        + (f" ({held} held back)" if held else "")
        + f" (others changed by masking: {len(times) - same - held})"
    )
    p99 = pct(times, 99)
    verdicts = [
        f"throughput {stream_mbs:.1f} MB/s >= 25: {'holds' if stream_mbs >= 25 else 'MISSED'}",
        f"p99 latency {p99:.1f} ms <= 50: {'holds' if p99 <= 50 else 'MISSED'}",
        f"{n_fp / mbs:.2f} false positives per MB <= 1: {'holds' if n_fp / mbs <= 1 else 'MISSED'}",
    ]
    if hard is not None:
        verdicts.append(
            f"hard negatives {n_hard}/{len(hard)}: {'holds' if not n_hard else 'MISSED'}"
        )
    print("targets: " + "; ".join(verdicts))
    for every, what in (((0.1, 0.3), "0.1-0.3 s, tqdm"), ((0.05, 0.05), "0.05 s, a 20 Hz bar")):
        delays = progress_hold(known, args.seed, every)
        print(
            f"hold on \\r progress redraws (no newline; updates every {what}; tick every 10 ms): "
            f"p50 {pct(delays, 50) * 1000:.0f} ms, p99 {pct(delays, 99) * 1000:.0f} ms, "
            f"max {max(delays) * 1000:.0f} ms over {len(delays)} redraws (informational)"
        )

    # Baseline: detect-secrets on a sample of the same text.
    try:
        settings, ds_line, ds_file = detect_secrets()
    except ImportError:
        print("detect-secrets is not installed (pip install detect-secrets==1.5.0): no baseline")
        return 1 if missed else 0
    cut = text.rfind("\n", 0, int(ds_mb * MB)) + 1 or len(text)
    sample = text[:cut]
    smbs = nbytes(sample) / MB
    lines = [x.rstrip("\r") for x in sample.split("\n")]
    ours = []
    for i in range(3):
        s, _w, _o = run_stream(new_term(known), pty_chunks(sample, args.seed + i), args.seed)
        ours.append(smbs / s)
    ours_mbs = statistics.median(ours)
    with settings():
        c0 = time.process_time()
        ds_found = [s for x in lines for s in ds_line(x)]
        ds_secs = time.process_time() - c0
        c0 = time.process_time()
        ds_file_found = ds_file(lines)
        ds_file_secs = time.process_time() - c0
        fakes = fake_lines()
        ds_fakes = sum(1 for v in fakes.values() if any(ds_line(x) for x in v.splitlines()))
        ds_file_fakes = sum(1 for v in fakes.values() if ds_file(v.splitlines()))
    sample_term = new_term(known)
    run_stream(sample_term, pty_chunks(sample, args.seed), args.seed)
    ours_fp = sum(sample_term.counts.values())
    ds_mbs = smbs / ds_secs
    ds_file_mbs = smbs / ds_file_secs

    def types(found: list[Any]) -> str:
        c = Counter(s.type for s in found)
        return ", ".join(f"{k} {v}" for k, v in c.most_common())

    print(f"baseline sample: the first {smbs:.2f} MB of the corpus, {len(lines):,} lines")
    print(
        f"benchcast on the sample: {ours_mbs:.1f} MB/s (median of 3), false positives "
        f"{ours_fp} = {ours_fp / smbs:.2f} per MB"
    )
    print(
        f"detect-secrets {_ds_version()} scan_line (all plugins, default filters): "
        f"{ds_mbs:.3f} MB/s, findings {len(ds_found)} = {len(ds_found) / smbs:.0f} per MB"
        + (f" ({types(ds_found)})" if ds_found else "")
    )
    print(
        f"detect-secrets file-scan path (per line, as `detect-secrets scan`): {ds_file_mbs:.3f} "
        f"MB/s, findings {len(ds_file_found)} = {len(ds_file_found) / smbs:.0f} per MB"
        + (f" ({types(ds_file_found)})" if ds_file_found else "")
    )
    print(
        f"fake secrets found: benchcast {found}/{len(fakes)}, detect-secrets scan_line "
        f"{ds_fakes}/{len(fakes)}, file-scan path {ds_file_fakes}/{len(fakes)}"
    )
    print(
        f"ratio: benchcast {ours_mbs:.1f} MB/s vs detect-secrets {ds_mbs:.3f} MB/s = "
        f"{ours_mbs / ds_mbs:.0f}x (vs its file-scan path {ds_file_mbs:.3f} MB/s = "
        f"{ours_mbs / ds_file_mbs:.0f}x)"
    )
    return 1 if missed else 0


def _ds_version() -> str:
    try:
        from importlib.metadata import version

        return version("detect-secrets")
    except Exception:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
