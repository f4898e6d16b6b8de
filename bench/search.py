"""Search and seek benchmark: an archive of 1,000 stream-hours, and a 4-hour stream to seek in.

    python bench/search.py                       # 1,000 stream-hours on SQLite (FTS5)
    python bench/search.py --hours 200           # a smaller archive
    python bench/search.py --db postgresql://postgres@127.0.0.1/bench   # the same on PostgreSQL

The archive is written straight into the store, as the keyframer would index it (no
publisher, no VT emulator for the 1,000 hours): 250 streams of 4 hours on 60 channels with
field tags and activities; per hour about 1,100 terminal lines (training logs with their
numbers, pip and git output, tracebacks, test runs, shell commands — in documents of up to
40 lines with a time per line), 80 chat messages, 12 notes, a few questions, file snapshots
and diffs, and runs with their configs. A few rare words are planted once each.

Search: 300 queries — common words, rarer ones, planted needles, phrases, prefixes, some with
a filter (channel, tag, activity, kind) — through ``SearchIndex.search``, the code the API and
the search page run (context and exact moment included). Prints p50, p90, p99, max, and p50,
p99 and max for each type of query.
Baseline, measured in the same run: the same kind of query answered by scanning the text
(``LIKE '%word%'``), as a store without a full-text index would; a few of them (it is slow).

Seek: a real 4-hour stream (about 50,000 events: output every 0.3 s on average, bursts of up
to 200 lines, progress bars, notes, runs) is stored with keyframes every 30 s as the server
writes them. Seeking to a random time costs what ``GET /api/streams/{id}/seek`` and the
events after the keyframe cost the server (the target); folding them onto the keyframe with
the server's own VT emulator is timed too, as an upper bound of what a viewer's panels then
do. Prints p50, p99. Baseline: folding the log from the start to the same time, as without
keyframes (a few points).

The last line: search p99 against its target and the scan baseline, seek p99 against its
target and the full-replay baseline.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchcast.events import Draft, validate_payload
from benchcast.replay.fold import StreamFold
from benchcast.store.archive import Archive
from benchcast.store.database import Store
from benchcast.store.search import Doc, Query

STREAM_HOURS = 4
TARGET_MS = 100.0

# ── a vocabulary that looks like the work ─────────────────────────────────────────────────

WORDS = """model train eval loss accuracy epoch step batch learning rate warmup scheduler cosine
optimizer adam adamw sgd momentum weight decay gradient norm clip checkpoint dataset
loader tokenizer vocab embedding attention head layer transformer mlp dropout residual
softmax logits cuda gpu memory device tensor shape dtype float16 bfloat16 precision seed
random sample split train_loss val_loss test metric f1 precision recall auc confusion
matrix histogram figure plot config yaml json csv parquet arrow pandas numpy torch jax
sklearn scipy matplotlib seaborn regression classifier baseline ablation sweep
hyperparameter grid search bayesian trial run pipeline preprocessing feature normalization
standardize outlier missing impute join merge query sql table index schema migration
database postgres sqlite cache redis queue worker request response latency throughput
benchmark profile trace flame graph bottleneck kernel compile build install package
version dependency import module function class method test assert fixture mock coverage
lint format type check error warning exception traceback debug breakpoint print log stack
frame variable value none null nan inf overflow underflow divergence plateau converge
instability spike collapse mode scaling law compute budget flops tokens parameters billion
million context window prompt completion sampling temperature top_p beam evaluation
benchmark leaderboard mmlu gsm8k humaneval perplexity bleu rouge exact match paper figure
table appendix section equation theorem proof lemma citation related work method policy
survey respondents regression coefficient standard error confidence interval p value
causal inference treatment control instrument variable panel fixed effects heterogeneity""".split()  # noqa: SIM905

SHELL = [
    "$ python train.py --config configs/{w}.yaml --seed {n}",
    "$ git diff --stat",
    "$ git commit -m 'fix {w} in {w2}'",
    "$ pytest tests/test_{w}.py -x -q",
    "$ pip install {w}=={n}.{m}.0",
    "$ nvidia-smi",
    "$ ls -la data/{w}/",
    "$ tail -f logs/{w}_{n}.log",
    "$ grep -rn {w} src/",
    "$ du -sh checkpoints/",
]
OUTPUT = [
    "epoch {n} step {k} loss={f} lr={e} grad_norm={f2} tokens/s={k2}",
    "[{n:03d}/{k}] train_loss: {f} val_loss: {f2} acc: {p}%",
    "Saving checkpoint to checkpoints/{w}-step{k}.pt",
    "Collecting {w}=={n}.{m}.0",
    "  Downloading {w}-{n}.{m}.0-py3-none-any.whl ({k} kB)",
    "Successfully installed {w}-{n}.{m}.0 {w2}-{m}.{n}",
    '  File "src/{w}.py", line {k}, in {w2}',
    "    {w} = {w2}({w}, dim={n})",
    "RuntimeError: CUDA out of memory. Tried to allocate {n}.{m} GiB",
    "ValueError: shape mismatch: {w} has shape ({n}, {k}) but {w2} expects ({k}, {n})",
    "tests/test_{w}.py::test_{w2} PASSED",
    "tests/test_{w}.py::test_{w2} FAILED",
    "{k} passed, {n} failed, {m} warnings in {f}s",
    " {w}/{w2}.py | {n} ++++---",
    "|   {n}  NVIDIA H100 80GB  |  {k}MiB / 81559MiB |  {p}%  Default |",
    "INFO  {w}: {w2} finished in {f}s ({k} items)",
    "WARNING  {w}: {w2} is deprecated; use {w}_{w2} instead",
    "{w:>12} {f} {f2} {e}",
]
NOTES = [
    "The {w} looks **wrong** after step {k}; checking `{w2}`.",
    "Hypothesis: {w} interacts with {w2}. Trying a smaller {w}.",
    "Found it: the {w} was applied twice in `{w2}.py` line {n}.",
    "Results: {w} improves {w2} by {p}% over the baseline.",
]
CHAT = [
    "did you try lowering the {w}?",
    "what {w} are you using for {w2}?",
    "nice, the {w} curve looks much better",
    "is {w} deterministic here?",
    "I had the same {w} issue with {w2} last week",
    "+1 on checking the {w}",
    "lol that {w}",
]
TAGS = ["ml", "data science", "software", "policy research", "nlp", "systems", "statistics"]
ACTIVITIES = [
    "debugging",
    "launching experiments",
    "analysing results",
    "tool building",
    "paper reading",
    "data work",
    "writing",
]
NEEDLES = [f"zq{n:04d}needle" for n in range(50)]


class Text:
    """Fast fills for the templates, Zipf-like: a few words very often, most rarely."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        weights = [1.0 / (i + 1) ** 0.9 for i in range(len(WORDS))]
        self.pool = rng.choices(WORDS, weights=weights, k=50_000)
        self.i = 0

    def word(self) -> str:
        self.i = (self.i + 1) % len(self.pool)
        return self.pool[self.i]

    def fill(self, template: str) -> str:
        r = self.rng
        return template.format(
            w=self.word(),
            w2=self.word(),
            n=r.randrange(100),
            m=r.randrange(20),
            k=r.randrange(100_000),
            k2=r.randrange(1000, 99_999),
            f=f"{r.random() * 3:.4f}",
            f2=f"{r.random() * 5:.4f}",
            e=f"{r.random() * 1e-3:.2e}",
            p=r.randrange(100),
        )


# ── the archive ───────────────────────────────────────────────────────────────────────────


def build_archive(store: Store, hours: int, seed: int = 1) -> dict[str, Any]:
    """Write ``hours`` stream-hours of documents; return counts."""
    rng = random.Random(seed)
    text = Text(rng)
    archive = Archive(store)
    channels = [store.create_channel(f"lab-{i:02d}")[0] for i in range(60)]
    n_streams = max(1, hours // STREAM_HOURS)
    started = time.time() - 400 * 86400
    needles = list(NEEDLES)
    docs_total = lines_total = bytes_total = 0
    for s in range(n_streams):
        ch = channels[s % len(channels)]
        tags = rng.sample(TAGS, k=rng.randint(1, 2))
        stream = store.create_stream(ch, f"{text.word()} {text.word()} session {s}", tags, started)
        started += 86400 * 400 / n_streams
        docs: list[Doc] = []
        activity = rng.choice(ACTIVITIES)
        activities = {activity}
        t = 0.0
        end = STREAM_HOURS * 3600.0
        seq = 0
        while t < end:
            # A chunk of terminal lines, as the indexer gathers them (≤ 40 lines, ≤ 120 s).
            n = rng.randint(5, 40)
            times, lines = [], []
            for _ in range(n):
                t += rng.expovariate(1 / 3.2)
                template = rng.choice(SHELL) if rng.random() < 0.12 else rng.choice(OUTPUT)
                line = text.fill(template)
                if needles and rng.random() < 0.00002:
                    line += " " + needles.pop()
                times.append(t)
                lines.append(line)
            seq += n * 3
            body = "\n".join(lines)
            docs.append(Doc(seq, times[0], "term", "term:1", body, activity, tuple(times)))
            lines_total += n
            bytes_total += len(body)
            # Everything else, at its own pace.
            r = rng.random()
            if r < 0.35:
                for _ in range(rng.randint(1, 4)):
                    docs.append(
                        Doc(seq, t, "chat", "viewer", text.fill(rng.choice(CHAT)), activity)
                    )
            if rng.random() < 0.06:
                docs.append(Doc(seq, t, "note", "notes", text.fill(rng.choice(NOTES)), activity))
            if rng.random() < 0.015:
                docs.append(
                    Doc(
                        seq, t, "question", "viewer", "why " + text.fill(rng.choice(CHAT)), activity
                    )
                )
            if rng.random() < 0.02:
                code = "\n".join(text.fill("    {w} = {w2}({w}, {n})") for _ in range(60))
                docs.append(Doc(seq, t, "file", f"src/{text.word()}.py", code, activity))
            if rng.random() < 0.03:
                diff = "\n".join(text.fill("{w} = {w2}({n})") for _ in range(6))
                docs.append(Doc(seq, t, "diff", f"src/{text.word()}.py", diff, activity))
            if rng.random() < 0.01:
                batch = rng.choice([32, 64, 128])
                cfg = f"sweep-{seq} lr={rng.random() / 100:.5f} batch_size={batch}"
                docs.append(Doc(seq, t, "run", f"r{seq}", cfg + " optimizer=adamw", activity))
            if rng.random() < 0.004:
                activity = rng.choice(ACTIVITIES)
                activities.add(activity)
        archive.index(stream.id, docs, seq, activities=activities)
        store.end_stream(stream.id, started + end)
        docs_total += len(docs)
    return {
        "streams": n_streams,
        "docs": docs_total,
        "lines": lines_total,
        "mb": bytes_total / 1e6,
    }


def queries(rng: random.Random, n: int) -> list[tuple[str, Query]]:
    """``n`` queries, each with the name of its type (for the figures per type)."""
    common = WORDS[:15]
    medium = WORDS[60:200]
    names = ["common word", "", "rarer word", "", "needle", "phrase", "prefix", "two words"]
    out: list[tuple[str, Query]] = []
    for i in range(n):
        kind = i % 10
        if kind in (0, 1):
            q = Query(rng.choice(common))
        elif kind in (2, 3):
            q = Query(rng.choice(medium))
        elif kind == 4:
            q = Query(rng.choice(NEEDLES))
        elif kind == 5:
            q = Query(
                rng.choice(['"out of memory"', '"shape mismatch"', '"successfully installed"'])
            )
        elif kind == 6:
            q = Query(rng.choice(["optim*", "check*", "token*", "regress*"]))
        elif kind == 7:
            q = Query(f"{rng.choice(medium)} {rng.choice(common)}")
        elif kind == 8:
            q = Query(rng.choice(medium), channel=f"lab-{rng.randrange(60):02d}")
        else:
            q = rng.choice(
                [
                    Query(rng.choice(medium), tag=rng.choice(TAGS)),
                    Query(rng.choice(common), activity=rng.choice(ACTIVITIES)),
                    Query(rng.choice(medium), kinds=("chat", "note")),
                ]
            )
        if kind < 8:
            name = names[kind] or names[kind - 1]
        elif kind == 8:
            name = "+ channel"
        else:
            name = "+ tag" if q.tag else "+ activity" if q.activity else "+ kinds"
        out.append((name, q))
    return out


def like_scan(store: Store, word: str) -> None:
    """The baseline: what answering a query costs without a full-text index."""
    from sqlalchemy import select

    from benchcast.store import schema

    d = schema.search_docs
    with store.engine.connect() as conn:
        conn.execute(
            select(d.c.stream_id, d.c.t, d.c.text).where(d.c.text.like(f"%{word}%")).limit(20)
        ).all()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


# ── the 4-hour stream ─────────────────────────────────────────────────────────────────────


def build_long_stream(store: Store, seed: int = 2) -> tuple[str, float]:
    """A real 4-hour stream with keyframes every 30 s (as the keyframer writes them)."""
    rng = random.Random(seed)
    text = Text(rng)
    ch = store.create_channel("long")[0]
    stream = store.create_stream(ch, "Four hours", ["ml"])
    fold = StreamFold()
    last_kf = 0.0

    def drafts() -> Any:
        start = validate_payload("stream.start", {"title": "Four hours", "tags": ["ml"]})
        yield Draft(t=0.0, kind="stream.start", source="stream", data=start)
        yield Draft(
            t=0.0,
            kind="term.open",
            source="term:1",
            data={"cols": 120, "rows": 40, "title": "bash"},
        )
        t = 0.0
        end = STREAM_HOURS * 3600.0
        while t < end:
            t += rng.expovariate(1 / 0.3)
            burst = rng.random() < 0.02
            n = rng.randint(20, 200) if burst else 1
            out = "".join(text.fill(rng.choice(OUTPUT)) + "\r\n" for _ in range(n))
            if rng.random() < 0.1:
                out = f"\r{text.fill('epoch {n} {p}%|')}{'#' * rng.randrange(40)}"
            yield Draft(t=t, kind="term.output", source="term:1", data={"text": out})
            if rng.random() < 0.002:
                yield Draft(
                    t=t, kind="note", source="notes", data={"text": text.fill(rng.choice(NOTES))}
                )
            if rng.random() < 0.001:
                run = f"r{int(t)}"
                yield Draft(
                    t=t,
                    kind="run.start",
                    source=f"run:{run}",
                    data=validate_payload("run.start", {"run": run}),
                )
        yield Draft(t=end, kind="stream.end", source="stream", data={"reason": "done"})

    batch: list[Draft] = []

    def flush() -> None:
        nonlocal last_kf
        for ev in store.append(stream.id, batch):
            fold.apply(ev)
            if fold.t - last_kf >= 30.0 or ev.kind == "stream.end":
                store.put_keyframe(stream.id, fold.seq, fold.t, fold.snapshot())
                last_kf = fold.t
        batch.clear()

    for d in drafts():
        batch.append(d)
        if len(batch) >= 2000:
            flush()
    flush()
    store.end_stream(stream.id)
    return stream.id, fold.t


def seek_ms(store: Store, sid: str, t: float) -> tuple[float, float, float]:
    """(server's part, server + folding, the server's part in CPU time) in ms for showing
    stream time t."""
    from benchcast.events import Event

    t0, c0 = time.perf_counter(), time.process_time()
    seq = store.seq_at(sid, t)
    kf = store.keyframe(sid, at_seq=seq)
    rows = store.events_json(sid, kf.seq if kf else 0, 5000, seq)
    t1, c1 = time.perf_counter(), time.process_time()
    fold = StreamFold.restore(kf.state) if kf else StreamFold()
    import json

    for _seq, _t, line in rows:
        fold.apply(Event(**json.loads(line)))
    t2 = time.perf_counter()
    return (t1 - t0) * 1000, (t2 - t0) * 1000, (c1 - c0) * 1000


def full_replay_ms(store: Store, sid: str, t: float) -> float:
    t0 = time.perf_counter()
    seq = store.seq_at(sid, t)
    StreamFold().apply_all(store.iter_events(sid, 0, seq))
    return (time.perf_counter() - t0) * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--hours", type=int, default=1000, help="stream-hours in the archive (1000)")
    ap.add_argument("--queries", type=int, default=300, help="search queries timed (300)")
    ap.add_argument("--seeks", type=int, default=100, help="seeks timed (100)")
    ap.add_argument("--db", help="a store URL (default: SQLite in a temporary folder)")
    args = ap.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="benchcast-search-")
    url = args.db or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    store = Store(url)
    backend = store.engine.dialect.name
    print(f"store: {backend}; building {args.hours:,} stream-hours …", flush=True)
    t0 = time.perf_counter()
    counts = build_archive(store, args.hours)
    build_s = time.perf_counter() - t0
    print(
        f"archive: {counts['streams']} streams, {counts['docs']:,} documents, "
        f"{counts['lines']:,} terminal lines ({counts['mb']:.0f} MB of terminal text); "
        f"indexed in {build_s:.0f} s ({counts['mb'] / build_s:.1f} MB/s)",
        flush=True,
    )

    rng = random.Random(3)
    index = Archive(store).search
    for _name, q in queries(rng, 20):  # warm the page cache
        index.search(q)
    times: list[float] = []
    cpu: list[float] = []
    by_type: dict[str, list[float]] = {}
    hits = 0
    for name, q in queries(rng, args.queries):
        t, c = time.perf_counter(), time.process_time()
        hits += len(index.search(q))
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        by_type.setdefault(name, []).append(times[-1])
    p50, p90, p99 = pct(times, 50), pct(times, 90), pct(times, 99)
    print(
        f"search ({len(times)} queries, {hits / len(times):.1f} hits each): p50 {p50:.1f} ms, "
        f"p90 {p90:.1f} ms, p99 {p99:.1f} ms, max {max(times):.1f} ms "
        f"(target p99 ≤ {TARGET_MS:.0f} ms)"
    )
    # CPU time of this process: on SQLite, the search's own work, whatever else the machine
    # is running (wall-clock figures on a busy machine include waiting for a core).
    where = "the engine runs in-process" if backend == "sqlite" else "the client's share only"
    print(f"  CPU time ({where}): p50 {pct(cpu, 50):.1f} ms, p99 {pct(cpu, 99):.1f} ms")
    for name, values in by_type.items():
        print(
            f"  {name:<12} {len(values):4d} queries: p50 {pct(values, 50):6.1f} ms, "
            f"p99 {pct(values, 99):6.1f} ms, max {max(values):6.1f} ms"
        )
    scans = []
    for word in rng.sample(WORDS[60:200], 5):
        t = time.perf_counter()
        like_scan(store, word + "x")  # a word that is not there: the scan reads everything
        scans.append((time.perf_counter() - t) * 1000)
    scan = statistics.median(scans)
    print(f"baseline, text scan (LIKE '%word%'), {len(scans)} queries: median {scan:.0f} ms")

    print("building a 4-hour stream with keyframes every 30 s …", flush=True)
    t0 = time.perf_counter()
    sid, duration = build_long_stream(store)
    stream = store.stream(sid)
    assert stream is not None
    kfs = len(store.keyframe_index(sid))
    print(f"stream: {stream.last_seq:,} events, {kfs} keyframes, {duration / 3600:.1f} h "
          f"(built in {time.perf_counter() - t0:.0f} s)")  # fmt: skip
    points = [rng.uniform(0, duration) for _ in range(args.seeks)]
    server, total, server_cpu = zip(*(seek_ms(store, sid, p) for p in points), strict=True)
    sp99, tp50, tp99 = pct(list(server), 99), pct(list(total), 50), pct(list(total), 99)
    print(
        f"seek ({len(points)} random points): server (keyframe + events) p50 "
        f"{pct(list(server), 50):.1f} ms, p99 {sp99:.1f} ms (target ≤ {TARGET_MS:.0f} ms; "
        f"CPU time p50 {pct(list(server_cpu), 50):.1f} ms, p99 {pct(list(server_cpu), 99):.1f} "
        f"ms); folded onto the keyframe in Python (pyte; a viewer's xterm.js is faster) "
        f"p50 {tp50:.1f} ms, p99 {tp99:.1f} ms"
    )
    replays = [full_replay_ms(store, sid, p) for p in rng.sample(points, 3)]
    replay = statistics.median(replays)
    print(f"baseline, replay from the start (no keyframes), 3 points: median {replay:.0f} ms")
    store.close()
    tmp.cleanup()
    ok = p99 <= TARGET_MS and sp99 <= TARGET_MS
    print(
        f"{'OK' if ok else 'OVER TARGET'}: search p99 {p99:.1f} ms (target {TARGET_MS:.0f}; "
        f"median {scan / p50:.1f}x faster than scanning the text); seek p99 {sp99:.1f} ms "
        f"(target {TARGET_MS:.0f}; {tp99:.0f} ms folded; {replay / tp99:.0f}x faster than "
        f"replaying from the start)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
