# ruff: noqa: E501, RUF001  (verbatim terminal lines and fixed-width tables, kept whole)
"""A deterministic corpus of ordinary scientific terminal output, for the redaction benchmark.

    from bench.corpus import generate
    text, segments = generate(20 * 2**20, seed=1)

What a scientist's terminal prints on an ordinary day, as a pty delivers it (``\\r\\n`` line
ends, ANSI colours, progress bars redrawn with ``\\r``): pip, uv and conda installs (hashes,
wheel names, download bars), pip-compile output with ``--hash=sha256:``, training logs
(loguru/logging lines with colours, tqdm bars, HF Trainer dicts and argument dumps, wandb and
NCCL lines, Hydra config dumps, JSON-lines metrics), git log / git log -p / git clone, lockfile
excerpts (package-lock, yarn.lock, poetry.lock, uv.lock, Cargo.lock, conda explicit), pytest
runs, nvidia-smi, Python tracebacks, docker pull/build, SLURM, checksums, ls/find/du, ssh.

There are no secrets in it: every value that looks random is a hash, a digest, an id, a UUID,
a commit, a path or a number; code in diffs and tracebacks only *names* keys and tokens. Any
finding on this text is a false positive.

``segments`` lists ``(kind, start, end)`` character ranges, for per-kind figures.
"""

from __future__ import annotations

import base64
import random
import uuid
from collections.abc import Callable

NL = "\r\n"
RESET = "\x1b[0m"

PY_PACKAGES = [
    ("torch", "2.5.1"),
    ("numpy", "2.1.3"),
    ("scipy", "1.14.1"),
    ("pandas", "2.2.3"),
    ("transformers", "4.46.2"),
    ("tokenizers", "0.20.3"),
    ("datasets", "3.1.0"),
    ("accelerate", "1.1.1"),
    ("safetensors", "0.4.5"),
    ("huggingface-hub", "0.26.2"),
    ("tqdm", "4.67.0"),
    ("pyyaml", "6.0.2"),
    ("requests", "2.32.3"),
    ("urllib3", "2.2.3"),
    ("certifi", "2024.8.30"),
    ("idna", "3.10"),
    ("charset-normalizer", "3.4.0"),
    ("filelock", "3.16.1"),
    ("fsspec", "2024.10.0"),
    ("jinja2", "3.1.4"),
    ("markupsafe", "3.0.2"),
    ("networkx", "3.4.2"),
    ("sympy", "1.13.1"),
    ("mpmath", "1.3.0"),
    ("typing-extensions", "4.12.2"),
    ("packaging", "24.2"),
    ("regex", "2024.11.6"),
    ("triton", "3.1.0"),
    ("nvidia-cublas-cu12", "12.4.5.8"),
    ("nvidia-cudnn-cu12", "9.1.0.70"),
    ("nvidia-nccl-cu12", "2.21.5"),
    ("matplotlib", "3.9.2"),
    ("scikit-learn", "1.5.2"),
    ("joblib", "1.4.2"),
    ("threadpoolctl", "3.5.0"),
    ("pillow", "11.0.0"),
    ("wandb", "0.18.7"),
    ("protobuf", "5.28.3"),
    ("sentencepiece", "0.2.0"),
    ("einops", "0.8.0"),
    ("pyarrow", "18.0.0"),
    ("polars", "1.13.1"),
    ("jax", "0.4.35"),
    ("jaxlib", "0.4.35"),
    ("optax", "0.2.4"),
    ("flax", "0.10.2"),
    ("lightning", "2.4.0"),
    ("torchmetrics", "1.6.0"),
    ("hydra-core", "1.3.2"),
    ("omegaconf", "2.3.0"),
    ("rich", "13.9.4"),
    ("click", "8.1.7"),
    ("psutil", "6.1.0"),
    ("pytest", "8.3.3"),
    ("ruff", "0.7.4"),
    ("mypy", "1.13.0"),
    ("ipykernel", "6.29.5"),
    ("jupyterlab", "4.3.1"),
    ("seaborn", "0.13.2"),
    ("h5py", "3.12.1"),
    ("zarr", "2.18.3"),
    ("xarray", "2024.10.0"),
    ("netcdf4", "1.7.2"),
    ("biopython", "1.84"),
    ("rdkit", "2024.3.6"),
    ("astropy", "6.1.6"),
    ("opencv-python", "4.10.0.84"),
    ("sentry-sdk", "2.18.0"),
    ("gitpython", "3.1.43"),
    ("setproctitle", "1.3.4"),
    ("docker-pycreds", "0.4.0"),
    ("pydantic", "2.10.1"),
    ("pydantic-core", "2.27.1"),
    ("aiohttp", "3.11.7"),
    ("multidict", "6.1.0"),
    ("yarl", "1.18.0"),
    ("attrs", "24.2.0"),
    ("dill", "0.3.8"),
    ("multiprocess", "0.70.16"),
    ("xxhash", "3.5.0"),
    ("python-dateutil", "2.9.0.post0"),
    ("pytz", "2024.2"),
    ("tzdata", "2024.2"),
    ("six", "1.16.0"),
    ("keyring", "25.5.0"),
    ("secretstorage", "3.3.3"),
    ("cryptography", "43.0.3"),
    ("google-auth", "2.36.0"),
    ("google-auth-oauthlib", "1.2.1"),
    ("oauthlib", "3.2.2"),
    ("requests-oauthlib", "2.0.0"),
    ("msal", "1.31.1"),
    ("azure-identity", "1.19.0"),
    ("pyjwt", "2.10.0"),
    ("passlib", "1.7.4"),
    ("bcrypt", "4.2.1"),
    ("boto3", "1.35.68"),
    ("botocore", "1.35.68"),
    ("s3transfer", "0.10.4"),
    ("jmespath", "1.0.1"),
    ("mlflow", "2.18.0"),
    ("optuna", "4.1.0"),
    ("peft", "0.13.2"),
    ("bitsandbytes", "0.44.1"),
    ("deepspeed", "0.15.4"),
    ("vllm", "0.6.4.post1"),
]
NPM_PACKAGES = [
    "react",
    "react-dom",
    "scheduler",
    "loose-envify",
    "js-tokens",
    "@babel/core",
    "@babel/code-frame",
    "@babel/parser",
    "@babel/types",
    "typescript",
    "esbuild",
    "vite",
    "rollup",
    "postcss",
    "nanoid",
    "picocolors",
    "source-map-js",
    "d3-scale",
    "d3-array",
    "plotly.js-dist-min",
    "jsonwebtoken",
    "passport",
    "passport-jwt",
    "keygrip",
    "cookie-signature",
    "csrf",
    "secure-json-parse",
    "@aws-sdk/credential-providers",
    "@smithy/signature-v4",
    "uuid",
    "semver",
    "debug",
    "ms",
    "chalk",
    "commander",
    "ws",
    "express",
    "body-parser",
    "cookie",
    "safe-buffer",
    "tslib",
    "zod",
    "@types/node",
]
NAMES = [
    ("Ada Lovelace", "ada@lab.example.org"),
    ("Rosalind Franklin", "rfranklin@uni.example.edu"),
    ("Alan Turing", "aturing@example.ac.uk"),
    ("Grace Hopper", "grace.hopper@example.com"),
    ("Emmy Noether", "noether@math.example.de"),
    ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
]
COMMIT_MESSAGES = [
    "Fix tokenizer padding for batch inference",
    "Add cosine LR schedule with warmup",
    "Bump torch from 2.4.1 to 2.5.1",
    "Refactor data loader to stream shards from S3",
    "Read the API key from the keyring instead of the config file",
    "Remove hard-coded token from config; use HF_TOKEN env var",
    "Update poetry.lock",
    "WIP: sweep over learning rates",
    "Log grad norm and tokens/s to wandb",
    "Fix off-by-one in sliding window attention mask",
    "Add eval on held-out split",
    "Pin numpy<2 for the old checkpoint loader",
    "Merge pull request #142 from ada/fix-ckpt",
    "Use bf16 autocast on H100",
    "Add session cookie handling to the dataset downloader",
    "Document how to rotate the wandb key",
    "Speed up collate_fn by 3x",
    "Handle KeyError for missing attention_mask",
    "Cache tokenized dataset to /scratch",
    "Add figure 3 (loss vs compute)",
    "Fix seed handling for reproducibility",
]
CODE_LINES = [
    '    token_ids = tokenizer(text, return_tensors="pt").input_ids',
    "    self.k_proj = nn.Linear(d_model, n_heads * head_dim, bias=False)",
    "    key, subkey = jax.random.split(key)",
    "    key = jax.random.PRNGKey(cfg.seed)",
    '    cache_key = f"{model_name}-{revision}-{max_len}"',
    '    hf_token = os.environ.get("HF_TOKEN")',
    '    api_key = os.environ["WANDB_API_KEY"]',
    '    headers = {"Authorization": f"Bearer {token}"}',
    "    session = requests.Session()",
    '    password = getpass.getpass("DB password: ")',
    '    secret_name = "prod/analysis/db"',
    "    attn = (q @ k.transpose(-2, -1)) * self.scale",
    "    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1))",
    '    for step, batch in enumerate(tqdm(loader, desc="train")):',
    "    optimizer.zero_grad(set_to_none=True)",
    "    scaler.scale(loss).backward()",
    "    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)",
    "    max_new_tokens: int = 512",
    "    pad_token_id = tokenizer.pad_token_id or tokenizer.eos_token_id",
    "    state = TrainState.create(apply_fn=model.apply, params=params, tx=tx)",
    '    df = pd.read_parquet(path, columns=["smiles", "label"])',
    '    return {"loss": loss.item(), "acc": acc, "tokens_per_sec": tps}',
    "    if key not in batch:",
    '        raise KeyError(f"missing {key!r} in batch")',
    '    ckpt = torch.load(path, map_location="cpu", weights_only=True)',
    "    wandb.init(project=cfg.wandb.project, entity=cfg.wandb.entity, config=cfg)",
    '    auth = HTTPBasicAuth(user, os.environ["LAB_PASS"])',
    "    signature = inspect.signature(fn)",
    '    x = einops.rearrange(x, "b (h w) c -> b c h w", h=h)',
]
EXCEPTIONS = [
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total "
    "capacity of 79.15 GiB of which 1.23 GiB is free. Including non-PyTorch memory, this process "
    "has 77.91 GiB memory in use.",
    "KeyError: 'attention_mask'",
    "ValueError: Expected input batch_size (32) to match target batch_size (31).",
    "RuntimeError: Expected all tensors to be on the same device, but found at least two "
    "devices, cuda:0 and cpu!",
    "FileNotFoundError: [Errno 2] No such file or directory: "
    "'/scratch/ada/runs/3b1f/checkpoint-1200/optimizer.pt'",
    "requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: "
    "https://huggingface.co/api/models/meta-llama/Llama-3.1-8B/revision/main",
    "huggingface_hub.errors.GatedRepoError: 403 Client Error. Cannot access gated repo for url "
    "https://huggingface.co/meta-llama/Llama-3.1-8B/resolve/main/config.json. Access to model "
    "meta-llama/Llama-3.1-8B is restricted. You must have access to it and be authenticated.",
    "AssertionError: shapes differ: torch.Size([8, 512, 4096]) vs torch.Size([8, 511, 4096])",
    "TypeError: forward() got an unexpected keyword argument 'past_key_values'",
    "botocore.exceptions.NoCredentialsError: Unable to locate credentials",
    "jax.errors.TracerBoolConversionError: Attempted boolean conversion of traced array",
    "sqlite3.OperationalError: database is locked",
]
HOSTS = ["gpu01", "gpu07", "login2", "node-a100-03", "ada-workstation"]
DIRS = ["proj", "llm-pretrain", "protein-fold", "climate-emulator", "thesis/ch3", "cryo-em"]


class _Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.step = 0
        self.time = 1_715_082_192.0

    # ── helpers ──────────────────────────────────────────────────────────────────────────

    def hex(self, n: int) -> str:
        return f"{self.r.getrandbits(4 * n):0{n}x}"

    def b64(self, nbytes: int) -> str:
        return base64.b64encode(self.r.randbytes(nbytes)).decode()

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))

    def b32(self, n: int) -> str:
        return "".join(self.r.choices("abcdefghijklmnopqrstuvwxyz234567", k=n))

    def pkg(self) -> tuple[str, str]:
        return self.r.choice(PY_PACKAGES)

    def stamp(self) -> str:
        self.time += self.r.uniform(0.05, 4.0)
        t = self.time
        import time as _t

        base = _t.strftime("%Y-%m-%d %H:%M:%S", _t.gmtime(t))
        return f"{base},{int(t * 1000) % 1000:03d}"

    def path(self) -> str:
        r = self.r
        home = f"/home/ada/{r.choice(DIRS)}"
        return r.choice(
            [
                f"{home}/src/{r.choice(['model', 'data', 'train', 'eval', 'utils'])}.py",
                f"/scratch/ada/runs/{self.uuid()}/checkpoint-{r.randrange(100, 50000, 100)}",
                f"{home}/.venv/lib/python3.11/site-packages/{self.pkg()[0].replace('-', '_')}"
                f"/__init__.py",
                f"/home/ada/.cache/huggingface/hub/models--meta-llama--Llama-3.1-8B/snapshots/"
                f"{self.hex(40)}/model-0000{r.randint(1, 4)}-of-00004.safetensors",
                f"/home/ada/.cache/huggingface/hub/datasets--allenai--c4/blobs/{self.hex(64)}",
                f"/tmp/torchinductor_ada/{self.b32(2)}/c{self.b32(51)}.py",
                f"/home/ada/.triton/cache/{self.b32(52).upper()}/matmul_kernel.cubin",
                f"/tmp/pytest-of-ada/pytest-{r.randint(1, 99)}/test_roundtrip{r.randint(0, 9)}0",
                f"/tmp/tmp{self.b32(8)}/data.parquet",
                f"{home}/data/shard-{r.randint(0, 1023):05d}-of-01024.parquet",
                f"{home}/outputs/{self.stamp()[:10]}/{self.stamp()[11:19].replace(':', '-')}",
            ]
        )

    def prompt(self, cmd: str) -> str:
        host = self.r.choice(HOSTS)
        d = self.r.choice(DIRS)
        return (
            f"\x1b[01;32mada@{host}\x1b[00m:\x1b[01;34m~/{d}\x1b[00m$ {cmd}{NL}"
            if self.r.random() < 0.7
            else f"(.venv) \x1b[1;36m{host}\x1b[0m \x1b[33m{d}\x1b[0m \x1b[35m(main)\x1b[0m "
            f"❯ {cmd}{NL}"
        )

    def tqdm(
        self, desc: str, total: int, updates: int, unit: str = "it", postfix: bool = False
    ) -> str:
        r = self.r
        out = []
        n = 0
        elapsed = 0.0
        rate = r.uniform(1.0, 30.0)
        for i in range(updates + 1):
            n = total if i == updates else min(total, n + max(1, total // max(1, updates)))
            elapsed = n / rate
            pct = n * 100 // total
            full = n * 10 // total
            frac = (n * 10 * 8 // total) % 8
            bar = "█" * full + ("▏▎▍▌▋▊▉"[frac - 1] if frac and full < 10 else "")
            bar = bar.ljust(10)
            remaining = (total - n) / rate
            ext = ""
            if postfix:
                ext = f", loss={r.uniform(0.1, 3.0):.4f}, lr={r.choice(['3e-4', '1e-4', '2e-5'])}"
            out.append(
                f"\r{desc}: {pct:3d}%|{bar}| {n}/{total} [{_mmss(elapsed)}<{_mmss(remaining)}, "
                f"{rate:5.2f}{unit}/s{ext}]"
            )
        return "".join(out) + NL

    def rich_bar(self, size_mb: float) -> str:
        r = self.r
        out = ["\x1b[?25l"]
        steps = r.randint(2, 12)
        speed = r.uniform(5, 120)
        for i in range(1, steps + 1):
            done = size_mb * i / steps
            filled = int(40 * i / steps)
            eta = (size_mb - done) / speed
            bar = f"\x1b[38;2;249;38;114m{'━' * filled}{RESET}" + (
                f"\x1b[38;5;237m╺{'━' * (39 - filled)}{RESET}" if filled < 40 else ""
            )
            out.append(
                f"\r\x1b[2K   {bar} \x1b[32m{done:.1f}/{size_mb:.1f} MB{RESET} "
                f"\x1b[31m{speed:.1f} MB/s{RESET} eta \x1b[36m0:00:{int(eta):02d}{RESET}"
            )
        out.append(NL + "\x1b[?25h")
        return "".join(out)

    # ── segments ─────────────────────────────────────────────────────────────────────────

    def pip_install(self) -> str:
        r = self.r
        o = [
            self.prompt(
                r.choice(
                    [
                        "pip install -r requirements.txt",
                        "pip install -e '.[dev]'",
                        "pip install -U transformers accelerate",
                    ]
                )
            )
        ]
        pkgs = r.sample(PY_PACKAGES, r.randint(6, 30))
        for name, ver in pkgs:
            whl = f"{name.replace('-', '_')}-{ver}-{r.choice(['py3-none-any', 'cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64'])}.whl"
            o.append(
                f"Collecting {name}=={ver} (from -r requirements.txt (line {r.randint(1, 60)})){NL}"
            )
            if r.random() < 0.4:
                o.append(f"  Using cached {whl}.metadata ({r.randint(1, 60)} kB){NL}")
            else:
                o.append(f"  Downloading {whl}.metadata ({r.randint(1, 60)} kB){NL}")
            if r.random() < 0.15:
                o.append(
                    f"  Downloading https://files.pythonhosted.org/packages/{self.hex(2)}/"
                    f"{self.hex(2)}/{self.hex(60)}/{whl} ({r.uniform(0.1, 900):.1f} MB){NL}"
                )
        for name, ver in r.sample(PY_PACKAGES, r.randint(0, 8)):
            o.append(
                f"Requirement already satisfied: {name}>={ver.split('.')[0]} in "
                f"./.venv/lib/python3.11/site-packages (from -r requirements.txt (line "
                f"{r.randint(1, 60)})) ({ver}){NL}"
            )
        for name, ver in pkgs:
            if r.random() < 0.5:
                size = r.choice([r.uniform(0.01, 2), r.uniform(2, 50), r.uniform(50, 900)])
                o.append(
                    f"Downloading {name.replace('-', '_')}-{ver}-py3-none-any.whl ({size:.1f} MB){NL}"
                )
                o.append(self.rich_bar(size))
        if r.random() < 0.3:
            o.append(f"Building wheels for collected packages: {self.pkg()[0]}{NL}")
            o.append(f"  Building editable for benchcast (pyproject.toml) ... done{NL}")
            o.append(
                f"  Created wheel for benchcast: filename=benchcast-0.1.0-0.editable-py3-none-any.whl "
                f"size={r.randint(3000, 9000)} sha256={self.hex(64)}{NL}"
            )
            o.append(
                f"  Stored in directory: /tmp/pip-ephem-wheel-cache-{self.b32(8)}/wheels/"
                f"{self.hex(2)}/{self.hex(2)}/{self.hex(56)}{NL}"
            )
        o.append(f"Installing collected packages: {', '.join(n for n, _ in pkgs)}{NL}")
        if r.random() < 0.3:
            o.append(
                f"  Attempting uninstall: {pkgs[0][0]}{NL}    Found existing installation: "
                f"{pkgs[0][0]} 0.0.1{NL}    Uninstalling {pkgs[0][0]}-0.0.1:{NL}      "
                f"Successfully uninstalled {pkgs[0][0]}-0.0.1{NL}"
            )
        o.append(f"Successfully installed {' '.join(f'{n}-{v}' for n, v in pkgs)}{NL}")
        if r.random() < 0.3:
            o.append(
                f"{NL}\x1b[1m[\x1b[0m\x1b[34;49mnotice\x1b[0m\x1b[1;39;49m]\x1b[0m A new release of pip "
                f"is available: \x1b[31;49m24.2\x1b[0m -> \x1b[32;49m24.3.1\x1b[0m{NL}"
            )
        return "".join(o)

    def uv_install(self) -> str:
        r = self.r
        o = [self.prompt("uv pip install -r requirements.txt")]
        pkgs = r.sample(PY_PACKAGES, r.randint(10, 60))
        o.append(
            f"\x1b[2mResolved \x1b[1m{len(pkgs) + 12} packages\x1b[0m \x1b[2min {r.randint(50, 3000)}ms\x1b[0m{NL}"
        )
        for name, _ver in pkgs[: r.randint(1, 5)]:
            o.append(
                f"\r\x1b[2K\x1b[36m\x1b[1m{name}\x1b[0m \x1b[2m------------------------------\x1b[0m "
                f"{r.uniform(0.1, 100):.2f} MiB/{r.uniform(100, 900):.2f} MiB"
            )
        o.append(
            f"\r\x1b[2K\x1b[2mPrepared \x1b[1m{len(pkgs)} packages\x1b[0m \x1b[2min {r.uniform(0.5, 9):.2f}s\x1b[0m{NL}"
        )
        o.append(
            f"\x1b[2mInstalled \x1b[1m{len(pkgs)} packages\x1b[0m \x1b[2min {r.randint(20, 900)}ms\x1b[0m{NL}"
        )
        for name, ver in sorted(pkgs):
            o.append(f" \x1b[32m+\x1b[39m \x1b[1m{name}\x1b[0m\x1b[2m=={ver}\x1b[0m{NL}")
        return "".join(o)

    def pip_compile(self) -> str:
        r = self.r
        o = [
            self.prompt("cat requirements.txt"),
            f"#{NL}# This file is autogenerated by pip-compile "
            f"with Python 3.11{NL}# by the following command:{NL}#{NL}#    pip-compile "
            f"--generate-hashes requirements.in{NL}#{NL}",
        ]
        for name, ver in sorted(r.sample(PY_PACKAGES, r.randint(5, 25))):
            o.append(f"{name}=={ver} \\{NL}")
            n = r.randint(1, 8)
            for i in range(n):
                cont = " \\" if i < n - 1 else ""
                o.append(f"    --hash=sha256:{self.hex(64)}{cont}{NL}")
            o.append(f"    # via{NL}    #   -r requirements.in{NL}    #   {self.pkg()[0]}{NL}")
        return "".join(o)

    def conda(self) -> str:
        r = self.r
        o = [
            self.prompt("conda install -c conda-forge numpy scipy xarray netcdf4"),
            f"Channels:{NL} - conda-forge{NL}Platform: linux-64{NL}Collecting package metadata "
            f"(repodata.json): done{NL}Solving environment: done{NL}{NL}## Package Plan ##{NL}{NL}"
            f"  environment location: /home/ada/miniforge3/envs/sci{NL}{NL}  added / updated specs:"
            f"{NL}    - numpy{NL}    - xarray{NL}{NL}{NL}The following packages will be downloaded:"
            f"{NL}{NL}    package                    |            build{NL}"
            f"    ---------------------------|-----------------{NL}",
        ]
        for name, ver in r.sample(PY_PACKAGES, r.randint(3, 12)):
            build = f"py311h{self.hex(7)}_{r.randint(0, 3)}"
            o.append(
                f"    {name + '-' + ver:<27}|{build:>20}  {r.uniform(0.1, 80):6.1f} MB  conda-forge{NL}"
            )
        o.append(
            f"Preparing transaction: done{NL}Verifying transaction: done{NL}Executing transaction: done{NL}"
        )
        if r.random() < 0.5:
            o.append(self.prompt("conda list --explicit --md5 | head"))
            o.append(
                f"# This file may be used to create an environment using:{NL}# $ conda create "
                f"--name <env> --file <this file>{NL}# platform: linux-64{NL}@EXPLICIT{NL}"
            )
            for name, ver in r.sample(PY_PACKAGES, 8):
                o.append(
                    f"https://conda.anaconda.org/conda-forge/linux-64/{name}-{ver}-py311h"
                    f"{self.hex(7)}_0.conda#{self.hex(32)}{NL}"
                )
        return "".join(o)

    def training(self) -> str:
        r = self.r
        o = [
            self.prompt(
                r.choice(
                    [
                        "python train.py +experiment=llm_1b",
                        "torchrun --nproc_per_node=8 train.py --config configs/base.yaml",
                        "accelerate launch train.py",
                    ]
                )
            )
        ]
        run = self.b32(8)
        if r.random() < 0.5:
            o.append(
                f"\x1b[34m\x1b[1mwandb\x1b[0m: Currently logged in as: \x1b[33mada-lovelace\x1b[0m "
                f"(\x1b[33mada-lab\x1b[0m). Use \x1b[1m`wandb login --relogin`\x1b[0m to force relogin{NL}"
            )
            o.append(f"\x1b[34m\x1b[1mwandb\x1b[0m: Tracking run with wandb version 0.18.7{NL}")
            o.append(
                f"\x1b[34m\x1b[1mwandb\x1b[0m: Run data is saved locally in \x1b[35m\x1b[1m/home/ada/"
                f"llm-pretrain/wandb/run-20240507_140312-{run}\x1b[0m{NL}"
            )
            o.append(
                f"\x1b[34m\x1b[1mwandb\x1b[0m: Syncing run \x1b[33mdulcet-sky-{r.randint(1, 400)}\x1b[0m{NL}"
            )
            o.append(
                f"\x1b[34m\x1b[1mwandb\x1b[0m: ⭐️ View project at \x1b[34m\x1b[4mhttps://wandb.ai/"
                f"ada-lab/llm-pretrain\x1b[0m{NL}"
            )
            o.append(
                f"\x1b[34m\x1b[1mwandb\x1b[0m: 🚀 View run at \x1b[34m\x1b[4mhttps://wandb.ai/ada-lab/"
                f"llm-pretrain/runs/{run}\x1b[0m{NL}"
            )
        if r.random() < 0.3:
            o.append(self.hydra_config())
        if r.random() < 0.2:
            o.append(self.training_args())
        if r.random() < 0.3:
            for shard in range(1, 5):
                o.append(
                    self.tqdm(
                        f"model-0000{shard}-of-00004.safetensors", 4976, r.randint(3, 15), "MB"
                    )
                )
            o.append(self.tqdm("Loading checkpoint shards", 4, 4))
        for _ in range(r.randint(1, 4)):
            if r.random() < 0.6:
                o.append(self.log_lines(r.randint(5, 60)))
            else:
                o.append(
                    self.tqdm(
                        f"Epoch {r.randint(0, 20)}",
                        r.randint(100, 5000),
                        r.randint(10, 60),
                        postfix=True,
                    )
                )
            if r.random() < 0.4:
                for _ in range(r.randint(1, 10)):
                    o.append(
                        f"{{'loss': {r.uniform(0.2, 3):.4f}, 'grad_norm': {r.uniform(0.1, 9):.4f}, "
                        f"'learning_rate': {r.uniform(1e-6, 5e-4):.3e}, 'epoch': {r.uniform(0, 3):.2f}}}{NL}"
                    )
            if r.random() < 0.3:
                o.append(self.jsonl(r.randint(5, 40)))
            if r.random() < 0.2:
                o.append(
                    f"***** eval metrics *****{NL}  epoch                   = {r.uniform(0, 3):.2f}"
                    f"{NL}  eval_loss               = {r.uniform(0.2, 3):.4f}{NL}  eval_runtime"
                    f"            = 0:00:{r.randint(10, 59)}.{r.randint(10, 99)}{NL}  "
                    f"eval_samples_per_second = {r.uniform(10, 900):.3f}{NL}  eval_steps_per_second"
                    f"   =  {r.uniform(1, 90):.3f}{NL}"
                )
        if r.random() < 0.3:
            o.append(
                f"[rank0]:[W507 14:{r.randint(10, 59)}:{r.randint(10, 59)}.{r.randint(100000, 999999)} "
                f"ProcessGroupNCCL.cpp:4115] [PG ID 0 PG GUID 0 Rank 0]  using GPU 0 to perform "
                f"barrier as devices used by this process are currently unknown.{NL}"
            )
            for ch in range(r.randint(2, 8)):
                o.append(
                    f"{HOSTS[3]}:{r.randint(1000, 99999)}:{r.randint(1000, 99999)} [0] NCCL INFO "
                    f"Channel {ch:02d}/32 :    0   1   2   3   4   5   6   7{NL}"
                )
        if r.random() < 0.4:
            o.append(
                f"\x1b[34m\x1b[1mwandb\x1b[0m: {NL}\x1b[34m\x1b[1mwandb\x1b[0m: Run history:{NL}"
            )
            for k in (
                "train/loss",
                "train/grad_norm",
                "train/lr",
                "train/tokens_per_sec",
                "eval/loss",
            ):
                spark = "".join(r.choices("▁▂▃▄▅▆▇█", k=40))
                o.append(f"\x1b[34m\x1b[1mwandb\x1b[0m: {k:>22} {spark}{NL}")
            o.append(
                f"\x1b[34m\x1b[1mwandb\x1b[0m: 🚀 View run \x1b[33mdulcet-sky-{r.randint(1, 400)}"
                f"\x1b[0m at: \x1b[34m\x1b[4mhttps://wandb.ai/ada-lab/llm-pretrain/runs/{run}\x1b[0m{NL}"
            )
            o.append(
                f"\x1b[34m\x1b[1mwandb\x1b[0m: Synced 5 W&B file(s), 0 media file(s), 2 artifact "
                f"file(s) and 0 other file(s){NL}"
            )
            o.append(
                f"\x1b[34m\x1b[1mwandb\x1b[0m: Find logs at: \x1b[35m\x1b[1m./wandb/run-20240507_140312-"
                f"{run}/logs\x1b[0m{NL}"
            )
        return "".join(o)

    def log_lines(self, n: int) -> str:
        r = self.r
        o = []
        levels = [("INFO", "\x1b[1m"), ("DEBUG", "\x1b[34m\x1b[1m"), ("WARNING", "\x1b[33m\x1b[1m")]
        for _ in range(n):
            self.step += r.randint(1, 50)
            lvl, col = r.choices(levels, weights=[20, 3, 1])[0]
            msg = r.choice(
                [
                    f"step={self.step} loss={r.uniform(0.2, 4):.4f} lr={r.uniform(1e-6, 5e-4):.2e} "
                    f"grad_norm={r.uniform(0.1, 5):.3f} tokens/s={r.randint(1000, 90000)} "
                    f"mem={r.uniform(10, 79):.1f}GiB",
                    f"epoch {r.randint(0, 30)} | step {self.step} | loss {r.uniform(0.2, 4):.4f} | "
                    f"lr {r.uniform(1e-6, 5e-4):.1e} | tokens/s {r.randint(1000, 90000)}",
                    f"saved checkpoint to {self.path()}",
                    f"eval: ppl={r.uniform(2, 40):.3f} acc={r.uniform(0.3, 0.99):.4f} "
                    f"f1={r.uniform(0.3, 0.99):.4f} n={r.randint(100, 10000)}",
                    f"run_id={self.uuid()} experiment_id={r.randint(1, 999)} seed={r.randint(0, 2**31)}",
                    f"loaded dataset allenai/c4 (revision {self.hex(40)}) with "
                    f"{r.randint(10**5, 10**8)} rows",
                    "Tokenizer: vocab_size=128256 bos_token=<|begin_of_text|> "
                    "eos_token=<|end_of_text|> pad_token=None",
                    f"Using {r.choice(['bf16', 'fp16', 'fp32'])} mixed precision; "
                    f"max_new_tokens=512 top_k=50 top_p=0.95 temperature=0.7",
                    f"data shard {r.randint(0, 1023)} sha256={self.hex(64)}",
                    f"compiled graph in {r.uniform(1, 200):.1f}s (cache key {self.b32(52)})",
                    f"MLflow run {self.hex(32)} started (experiment 'protein-fold')",
                ]
            )
            o.append(
                f"\x1b[32m{self.stamp()}\x1b[0m | {col}{lvl:<8}\x1b[0m | \x1b[36mtrain\x1b[0m:"
                f"\x1b[36mstep\x1b[0m:\x1b[36m{r.randint(10, 400)}\x1b[0m - {col}{msg}\x1b[0m{NL}"
                if r.random() < 0.6
                else f"[{self.stamp()}][{r.choice(['train', '__main__', 'accelerate.utils'])}]"
                f"[{lvl}] - {msg}{NL}"
            )
        return "".join(o)

    def jsonl(self, n: int) -> str:
        r = self.r
        run = self.uuid()
        sha = self.hex(40)
        o = []
        for _ in range(n):
            self.step += 10
            o.append(
                f'{{"step": {self.step}, "loss": {r.uniform(0.2, 4):.6f}, "lr": '
                f'{r.uniform(1e-6, 5e-4):.3e}, "grad_norm": {r.uniform(0.1, 5):.4f}, '
                f'"tokens_seen": {self.step * 131072}, "tokens_per_sec": {r.uniform(1e3, 9e4):.1f}, '
                f'"run_id": "{run}", "git_sha": "{sha}", "host": "{r.choice(HOSTS)}", '
                f'"ckpt": "/scratch/ada/runs/{run}/step_{self.step:07d}.pt", '
                f'"time": "{self.stamp().replace(" ", "T")}Z"}}{NL}'
            )
        return "".join(o)

    def hydra_config(self) -> str:
        r = self.r
        return (
            f"model:{NL}  name: meta-llama/Llama-3.1-8B{NL}  revision: {self.hex(40)}{NL}"
            f"  attn_implementation: flash_attention_2{NL}  max_seq_len: 4096{NL}"
            f"  tokenizer:{NL}    name: meta-llama/Llama-3.1-8B{NL}    pad_token: null{NL}"
            f"optim:{NL}  name: adamw{NL}  lr: 0.0003{NL}  betas:{NL}  - 0.9{NL}  - 0.95{NL}"
            f"  weight_decay: 0.1{NL}data:{NL}  path: s3://lab-data/pile/train{NL}"
            f"  cache_dir: /scratch/ada/cache{NL}  num_workers: 8{NL}logging:{NL}"
            f"  wandb_project: llm-pretrain{NL}  wandb_entity: ada-lab{NL}"
            f"  api_key_env: WANDB_API_KEY{NL}  hub_token: null{NL}"
            f"seed: {r.randint(0, 9999)}{NL}run_id: {self.uuid()}{NL}"
            f"output_dir: /scratch/ada/outputs/{self.stamp()[:10]}{NL}"
        )

    def training_args(self) -> str:
        r = self.r
        return (
            f"TrainingArguments({NL}_n_gpu=1,{NL}accelerator_config={{'split_batches': False, "
            f"'dispatch_batches': None, 'even_batches': True, 'use_seedable_sampler': True}},{NL}"
            f"adafactor=False,{NL}adam_beta1=0.9,{NL}adam_beta2=0.999,{NL}adam_epsilon=1e-08,{NL}"
            f"bf16=True,{NL}eval_strategy=steps,{NL}gradient_accumulation_steps={r.randint(1, 16)},"
            f"{NL}hub_model_id=None,{NL}hub_private_repo=False,{NL}hub_strategy=every_save,{NL}"
            f"hub_token=<HUB_TOKEN>,{NL}learning_rate={r.uniform(1e-6, 5e-4):.1e},{NL}"
            f"logging_dir=/scratch/ada/outputs/runs/May07_14-03-12_{r.choice(HOSTS)},{NL}"
            f"output_dir=/scratch/ada/outputs,{NL}push_to_hub=False,{NL}"
            f"push_to_hub_token=<PUSH_TO_HUB_TOKEN>,{NL}report_to=['wandb'],{NL}"
            f"run_name=/scratch/ada/outputs,{NL}seed=42,{NL})"
            f"{NL}"
        )

    def git_log(self) -> str:
        r = self.r
        o = [self.prompt(r.choice(["git log", "git log -p -3", "git log --stat -5"]))]
        patch = r.random() < 0.3
        for i in range(r.randint(3, 25)):
            sha = self.hex(40)
            refs = (
                "\x1b[33m (\x1b[1;36mHEAD -> \x1b[1;32mmain\x1b[33m, \x1b[1;31morigin/main"
                "\x1b[33m)\x1b[m"
                if i == 0
                else ""
            )
            o.append(f"\x1b[33mcommit {sha}\x1b[m{refs}{NL}")
            if r.random() < 0.1:
                o.append(f"Merge: {self.hex(7)} {self.hex(7)}{NL}")
            name, email = r.choice(NAMES)
            o.append(
                f"Author: {name} <{email}>{NL}Date:   {r.choice(['Tue', 'Wed', 'Thu'])} May "
                f"{r.randint(1, 28)} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:"
                f"{r.randint(0, 59):02d} 2024 +0200{NL}{NL}"
            )
            o.append(f"    {r.choice(COMMIT_MESSAGES)}{NL}")
            if r.random() < 0.4:
                o.append(f"    {NL}    {r.choice(COMMIT_MESSAGES)}. See #{r.randint(1, 300)}.{NL}")
            if r.random() < 0.3:
                o.append(f"    {NL}    Signed-off-by: {name} <{email}>{NL}")
            o.append(NL)
            if patch:
                o.append(self.diff())
        return "".join(o)

    def diff(self) -> str:
        r = self.r
        f = r.choice(["src/train.py", "src/model.py", "src/data.py", "configs/base.yaml"])
        o = [
            f"\x1b[1mdiff --git a/{f} b/{f}\x1b[m{NL}\x1b[1mindex {self.hex(7)}..{self.hex(7)} 100644"
            f"\x1b[m{NL}\x1b[1m--- a/{f}\x1b[m{NL}\x1b[1m+++ b/{f}\x1b[m{NL}"
        ]
        for _ in range(r.randint(1, 4)):
            a = r.randint(1, 400)
            o.append(f"\x1b[36m@@ -{a},7 +{a},9 @@\x1b[m def main(cfg: DictConfig) -> None:{NL}")
            for _ in range(r.randint(3, 12)):
                kind = r.random()
                line = r.choice(CODE_LINES)
                if kind < 0.6:
                    o.append(f" {line}{NL}")
                elif kind < 0.8:
                    o.append(f"\x1b[31m-{line}\x1b[m{NL}")
                else:
                    o.append(f"\x1b[32m+{line}\x1b[m{NL}")
        return "".join(o)

    def git_clone(self) -> str:
        r = self.r
        o = [
            self.prompt("git clone git@github.com:ada-lab/llm-pretrain.git"),
            f"Cloning into 'llm-pretrain'...{NL}",
        ]
        total = r.randint(500, 90000)
        o.append(f"remote: Enumerating objects: {total}, done.{NL}")
        cnt = "".join(
            f"\rremote: Counting objects: {p:3d}% ({p * total // 100}/{total})"
            for p in range(0, 101, r.choice([1, 5, 10]))
        )
        o.append(cnt + f", done.{NL}")
        recv = "".join(
            f"\rReceiving objects: {p:3d}% ({p * total // 100}/{total}), "
            f"{p * 0.37:.2f} MiB | {r.uniform(1, 40):.2f} MiB/s"
            for p in range(0, 101, r.choice([1, 2, 5]))
        )
        o.append(recv + f", done.{NL}")
        o.append(f"Resolving deltas: 100% ({total // 2}/{total // 2}), done.{NL}")
        if r.random() < 0.5:
            o.append(self.prompt("git pull --rebase"))
            a, b = self.hex(7), self.hex(7)
            o.append(f"Updating {a}..{b}{NL}Fast-forward{NL}")
            for f in r.sample(
                [
                    "src/train.py",
                    "src/model.py",
                    "poetry.lock",
                    "README.md",
                    "tests/test_model.py",
                    "configs/base.yaml",
                ],
                3,
            ):
                n = r.randint(1, 200)
                o.append(
                    f" {f:<20} | {n:3d} \x1b[32m{'+' * min(n, 30)}\x1b[m\x1b[31m{'-' * (n % 9)}\x1b[m{NL}"
                )
            o.append(
                f" 3 files changed, {r.randint(1, 300)} insertions(+), {r.randint(1, 90)} deletions(-){NL}"
            )
        return "".join(o)

    def package_lock(self) -> str:
        r = self.r
        o = [
            self.prompt(r.choice(["cat package-lock.json", "git diff package-lock.json"])),
            f'{{{NL}  "name": "dashboard",{NL}  "version": "0.3.0",{NL}  "lockfileVersion": 3,'
            f'{NL}  "requires": true,{NL}  "packages": {{{NL}',
        ]
        for name in r.sample(NPM_PACKAGES, r.randint(5, 25)):
            ver = f"{r.randint(0, 20)}.{r.randint(0, 30)}.{r.randint(0, 20)}"
            base = name.rsplit("/", 1)[-1]
            integ = f"sha512-{self.b64(64)}" if r.random() < 0.9 else f"sha1-{self.b64(20)}"
            o.append(
                f'    "node_modules/{name}": {{{NL}      "version": "{ver}",{NL}      "resolved": '
                f'"https://registry.npmjs.org/{name}/-/{base}-{ver}.tgz",{NL}      "integrity": '
                f'"{integ}",{NL}'
            )
            if r.random() < 0.3:
                o.append(f'      "dev": true,{NL}')
            if r.random() < 0.5:
                o.append(f'      "dependencies": {{{NL}')
                for dep in r.sample(NPM_PACKAGES, r.randint(1, 4)):
                    o.append(
                        f'        "{dep}": "^{r.randint(0, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}",{NL}'
                    )
                o.append(f"      }},{NL}")
            o.append(f'      "license": "MIT"{NL}    }},{NL}')
        o.append(f"  }}{NL}}}{NL}")
        if r.random() < 0.4:
            o.append(self.prompt("cat yarn.lock | head -40"))
            for name in r.sample(NPM_PACKAGES, 6):
                ver = f"{r.randint(0, 20)}.{r.randint(0, 30)}.{r.randint(0, 20)}"
                base = name.rsplit("/", 1)[-1]
                o.append(
                    f'"{name}@^{ver}":{NL}  version "{ver}"{NL}  resolved "https://registry.yarnpkg.com/'
                    f'{name}/-/{base}-{ver}.tgz#{self.hex(40)}"{NL}  integrity sha512-{self.b64(64)}{NL}{NL}'
                )
        return "".join(o)

    def poetry_lock(self) -> str:
        r = self.r
        kind = r.random()
        o = []
        if kind < 0.5:
            o.append(self.prompt("cat poetry.lock"))
            for name, ver in r.sample(PY_PACKAGES, r.randint(3, 15)):
                o.append(
                    f'[[package]]{NL}name = "{name}"{NL}version = "{ver}"{NL}description = '
                    f'"{name} for Python"{NL}optional = false{NL}python-versions = ">=3.9"{NL}files = [{NL}'
                )
                for _ in range(r.randint(1, 6)):
                    o.append(
                        f'    {{file = "{name.replace("-", "_")}-{ver}-py3-none-any.whl", hash = '
                        f'"sha256:{self.hex(64)}"}},{NL}'
                    )
                o.append(f"]{NL}{NL}")
            o.append(
                f'[metadata]{NL}lock-version = "2.0"{NL}python-versions = "^3.11"{NL}'
                f'content-hash = "{self.hex(64)}"{NL}'
            )
        elif kind < 0.8:
            o.append(self.prompt("cat uv.lock"))
            for name, ver in r.sample(PY_PACKAGES, r.randint(3, 15)):
                o.append(
                    f'[[package]]{NL}name = "{name}"{NL}version = "{ver}"{NL}source = {{ registry = '
                    f'"https://pypi.org/simple" }}{NL}sdist = {{ url = "https://files.pythonhosted.org/'
                    f'packages/{self.hex(2)}/{self.hex(2)}/{self.hex(60)}/{name}-{ver}.tar.gz", hash = '
                    f'"sha256:{self.hex(64)}", size = {r.randint(10_000, 90_000_000)} }}{NL}wheels = [{NL}'
                )
                for _ in range(r.randint(1, 5)):
                    o.append(
                        f'    {{ url = "https://files.pythonhosted.org/packages/{self.hex(2)}/'
                        f'{self.hex(2)}/{self.hex(60)}/{name}-{ver}-py3-none-any.whl", hash = '
                        f'"sha256:{self.hex(64)}", size = {r.randint(10_000, 90_000_000)} }},{NL}'
                    )
                o.append(f"]{NL}{NL}")
        else:
            o.append(self.prompt("cat Cargo.lock"))
            for name in r.sample(
                [
                    "serde",
                    "tokio",
                    "rand",
                    "ndarray",
                    "pyo3",
                    "rayon",
                    "regex",
                    "hashbrown",
                    "itoa",
                    "ryu",
                    "libc",
                    "memchr",
                ],
                6,
            ):
                o.append(
                    f'[[package]]{NL}name = "{name}"{NL}version = "1.{r.randint(0, 40)}.'
                    f'{r.randint(0, 9)}"{NL}source = "registry+https://github.com/rust-lang/'
                    f'crates.io-index"{NL}checksum = "{self.hex(64)}"{NL}{NL}'
                )
        return "".join(o)

    def pytest(self) -> str:
        r = self.r
        o = [
            self.prompt("pytest -q tests" if r.random() < 0.5 else "pytest -n 8 tests"),
            f"\x1b[1m============================= test session starts ==============================\x1b[0m{NL}"
            f"platform linux -- Python 3.11.10, pytest-8.3.3, pluggy-1.5.0{NL}rootdir: /home/ada/"
            f"{r.choice(DIRS)}{NL}configfile: pyproject.toml{NL}plugins: xdist-3.6.1, hypothesis-6.119.4, "
            f"anyio-4.6.2{NL}collected {r.randint(20, 900)} items{NL}{NL}",
        ]
        files = [
            "tests/test_model.py",
            "tests/test_tokenizer.py",
            "tests/test_data.py",
            "tests/test_auth.py",
            "tests/test_cache.py",
            "tests/test_secrets_loader.py",
        ]
        names = [
            "test_forward",
            "test_special_tokens",
            "test_roundtrip",
            "test_api_key_from_env",
            "test_token_refresh",
            "test_cache_key_stable",
            "test_password_prompt_hidden",
            "test_attention_mask",
            "test_shapes",
            "test_session_cookie_expiry",
        ]
        failed = []
        for _ in range(r.randint(10, 120)):
            test = (
                f"{r.choice(files)}::{r.choice(names)}[{r.choice(['cpu', 'cuda'])}-"
                f"{r.choice(['fp32', 'bf16'])}-{r.randint(1, 64)}]"
            )
            res = r.choices(["PASSED", "FAILED", "SKIPPED"], weights=[30, 1, 2])[0]
            col = {"PASSED": "\x1b[32m", "FAILED": "\x1b[31m", "SKIPPED": "\x1b[33m"}[res]
            if res == "FAILED":
                failed.append(test)
            o.append(f"{test} {col}{res}\x1b[0m\x1b[32m [{r.randint(0, 100):3d}%]\x1b[0m{NL}")
        for test in failed:
            o.append(f"{NL}\x1b[31m\x1b[1m___ {test.split('::')[1]} ___\x1b[0m{NL}{NL}")
            for line in r.sample(CODE_LINES, 4):
                o.append(f"{line}{NL}")
            o.append(f"\x1b[1m\x1b[31mE       {r.choice(EXCEPTIONS)}\x1b[0m{NL}{NL}")
            o.append(
                f"\x1b[1m\x1b[31m{r.choice(files)}\x1b[0m:{r.randint(10, 400)}: "
                f"{r.choice(EXCEPTIONS).split(':')[0]}{NL}"
            )
        o.append(
            f"\x1b[32m=== {r.randint(20, 900)} passed, {len(failed)} failed, "
            f"{r.randint(0, 9)} skipped in {r.uniform(1, 300):.2f}s ===\x1b[0m{NL}"
        )
        return "".join(o)

    def traceback(self) -> str:
        r = self.r
        o = [f"Traceback (most recent call last):{NL}"]
        for _ in range(r.randint(2, 12)):
            pkg = self.pkg()[0].replace("-", "_")
            path = r.choice(
                [
                    f"/home/ada/{r.choice(DIRS)}/src/{r.choice(['train', 'model', 'data'])}.py",
                    f"/home/ada/proj/.venv/lib/python3.11/site-packages/{pkg}/"
                    f"{r.choice(['core', 'utils', 'nn/modules/module', 'api'])}.py",
                ]
            )
            o.append(
                f'  File "{path}", line {r.randint(1, 3000)}, in '
                f"{r.choice(['<module>', 'main', 'forward', '_call_impl', 'train_step', '__getitem__', 'hf_hub_download'])}"
                f"{NL}    {r.choice(CODE_LINES).strip()}{NL}"
            )
            if r.random() < 0.2:
                o.append(f"           {'^' * r.randint(5, 40)}{NL}")
        o.append(f"{r.choice(EXCEPTIONS)}{NL}")
        return "".join(o)

    def nvidia_smi(self) -> str:
        r = self.r
        o = [
            self.prompt("nvidia-smi"),
            f"{r.choice(['Tue', 'Wed'])} May  7 14:0{r.randint(0, 9)}:12 2024{NL}"
            f"+-----------------------------------------------------------------------------------------+{NL}"
            f"| NVIDIA-SMI 550.54.15              Driver Version: 550.54.15      CUDA Version: 12.4     |{NL}"
            f"|-----------------------------------------+------------------------+----------------------+{NL}"
            f"| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |{NL}"
            f"| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |{NL}"
            f"|                                         |                        |               MIG M. |{NL}"
            f"|=========================================+========================+======================|{NL}",
        ]
        n = r.choice([1, 2, 4, 8])
        for g in range(n):
            used = r.randint(1, 80000)
            o.append(
                f"|   {g}  NVIDIA H100 80GB HBM3          On  |   00000000:{r.randint(10, 99)}:00.0 Off |"
                f"                    0 |{NL}| N/A   {r.randint(30, 80)}C    P0   {r.randint(70, 700):>4}W /  "
                f"700W |  {used:>6}MiB /  81559MiB |    {r.randint(0, 100):>3}%      Default |{NL}"
                f"|                                         |                        |             "
                f"Disabled |{NL}+-----------------------------------------+------------------------+"
                f"----------------------+{NL}"
            )
        o.append(
            f"{NL}+-----------------------------------------------------------------------------------------+{NL}"
            f"| Processes:                                                                              |{NL}"
            f"|  GPU   GI   CI        PID   Type   Process name                              GPU Memory |{NL}"
            f"|=========================================================================================|{NL}"
        )
        for g in range(n):
            o.append(
                f"|    {g}   N/A  N/A   {r.randint(1000, 4000000):>8}      C   "
                f"/home/ada/proj/.venv/bin/python            {r.randint(100, 80000):>8}MiB |{NL}"
            )
        o.append(
            f"+-----------------------------------------------------------------------------------------+{NL}"
        )
        if r.random() < 0.3:
            o.append(self.prompt("nvidia-smi -L"))
            for g in range(n):
                o.append(f"GPU {g}: NVIDIA H100 80GB HBM3 (UUID: GPU-{self.uuid()}){NL}")
        return "".join(o)

    def docker(self) -> str:
        r = self.r
        o = []
        if r.random() < 0.5:
            o.append(self.prompt("docker pull nvcr.io/nvidia/pytorch:24.05-py3"))
            o.append(f"24.05-py3: Pulling from nvidia/pytorch{NL}")
            layers = [self.hex(12) for _ in range(r.randint(5, 30))]
            for layer in layers:
                o.append(f"{layer}: Pulling fs layer{NL}")
            for layer in layers:
                o.append(f"{layer}: Pull complete{NL}")
            o.append(
                f"Digest: sha256:{self.hex(64)}{NL}Status: Downloaded newer image for "
                f"nvcr.io/nvidia/pytorch:24.05-py3{NL}nvcr.io/nvidia/pytorch:24.05-py3{NL}"
            )
        else:
            o.append(self.prompt("docker build -t trainer:latest ."))
            o.append(f"[+] Building {r.uniform(1, 300):.1f}s (12/12) FINISHED{NL}")
            for i in range(1, 13):
                o.append(
                    f"#{i} [{min(i, 7)}/7] RUN pip install -r requirements.txt{NL}"
                    if i % 3 == 0
                    else f"#{i} sha256:{self.hex(64)} {r.uniform(0, 90):.1f}MB / "
                    f"{r.uniform(90, 900):.1f}MB {r.uniform(0, 30):.1f}s{NL}"
                )
            o.append(
                f"#12 exporting to image{NL}#12 exporting layers {r.uniform(1, 30):.1f}s done{NL}"
                f"#12 writing image sha256:{self.hex(64)} done{NL}#12 naming to "
                f"docker.io/library/trainer:latest done{NL}"
            )
            o.append(self.prompt("docker run -d --gpus all trainer:latest"))
            o.append(f"{self.hex(64)}{NL}")
        return "".join(o)

    def shell_misc(self) -> str:
        r = self.r
        kind = r.randrange(7)
        o = []
        if kind == 0:
            o.append(self.prompt("sha256sum data/*.parquet"))
            for i in range(r.randint(3, 30)):
                o.append(f"{self.hex(64)}  data/train-{i:05d}-of-00064.parquet{NL}")
        elif kind == 1:
            o.append(self.prompt("ls -la"))
            for _ in range(r.randint(5, 30)):
                name = r.choice(
                    [
                        self.uuid(),
                        f"checkpoint-{r.randint(1, 900) * 100}",
                        "wandb",
                        f"events.out.tfevents.{int(self.time)}.{r.choice(HOSTS)}.{r.randint(1000, 99999)}.0",
                        "config.yaml",
                        f"run-{self.b32(8)}",
                        ".env.example",
                        "secrets.toml.example",
                    ]
                )
                o.append(
                    f"drwxr-xr-x  {r.randint(2, 9)} ada ada {r.randint(4096, 10**9):>10} May  "
                    f"{r.randint(1, 28)} 14:{r.randint(10, 59)} \x1b[01;34m{name}\x1b[0m{NL}"
                )
        elif kind == 2:
            o.append(self.prompt("find /scratch/ada -name '*.pt' | head -20"))
            for _ in range(r.randint(5, 20)):
                o.append(f"{self.path()}{NL}")
        elif kind == 3:
            o.append(self.prompt("squeue -u ada"))
            o.append(
                f"             JOBID PARTITION     NAME     USER ST       TIME  NODES NODELIST(REASON){NL}"
            )
            for _ in range(r.randint(1, 12)):
                o.append(
                    f"          {r.randint(10**6, 10**7)}       gpu {r.choice(['train', 'sweep', 'eval'])}_"
                    f"{r.randint(0, 99):02d}      ada  R    {r.randint(0, 23)}:{r.randint(10, 59)}:"
                    f"{r.randint(10, 59)}      1 {r.choice(HOSTS)}{NL}"
                )
            o.append(self.prompt("sbatch train.slurm"))
            o.append(f"Submitted batch job {r.randint(10**6, 10**7)}{NL}")
        elif kind == 4:
            o.append(self.prompt("ssh gpu07"))
            o.append(
                f"The authenticity of host 'gpu07.cluster.example.edu (10.1.{r.randint(0, 255)}."
                f"{r.randint(0, 255)})' can't be established.{NL}ED25519 key fingerprint is SHA256:"
                f"{self.b64(32).rstrip('=')}.{NL}This key is not known by any other names.{NL}"
                f"Are you sure you want to continue connecting (yes/no/[fingerprint])? yes{NL}"
                f"Warning: Permanently added 'gpu07.cluster.example.edu' (ED25519) to the list of "
                f"known hosts.{NL}Last login: Tue May  7 09:12:44 2024 from 10.1.0.12{NL}"
            )
        elif kind == 5:
            o.append(self.prompt("env | grep -E 'CUDA|SESSION|PATH|HF_|WANDB' | sort"))
            o.append(
                f"CUDA_HOME=/usr/local/cuda-12.4{NL}CUDA_VISIBLE_DEVICES=0,1,2,3{NL}"
                f"DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus{NL}"
                f"HF_HOME=/scratch/ada/hf{NL}HF_HUB_ENABLE_HF_TRANSFER=1{NL}"
                f"LD_LIBRARY_PATH=/usr/local/cuda-12.4/lib64:/usr/local/nvidia/lib64{NL}"
                f"PATH=/home/ada/.venv/bin:/usr/local/cuda-12.4/bin:/usr/local/bin:/usr/bin:/bin{NL}"
                f"WANDB_DIR=/scratch/ada/wandb{NL}WANDB_PROJECT=llm-pretrain{NL}"
                f"XDG_SESSION_ID={r.randint(1, 900)}{NL}XDG_SESSION_TYPE=tty{NL}"
            )
        else:
            o.append(self.prompt("du -sh /scratch/ada/* | sort -h"))
            for _ in range(r.randint(3, 15)):
                o.append(f"{r.uniform(1, 999):.1f}{r.choice('KMGT')}\t{self.path()}{NL}")
        return "".join(o)

    def container_pull(self) -> str:
        """Apptainer/Singularity on a cluster, pinned by digest (as Nextflow/Snakemake do)."""
        r = self.r
        image = r.choice(
            [
                "python:3.11-slim",
                "ubuntu:22.04",
                "rocker/r-ver:4.4.1",
                "continuumio/miniconda3:24.7.1-0",
                "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime",
            ]
        )
        digest = self.hex(64)
        return (
            self.prompt(f"apptainer pull env.sif docker://{image}@sha256:{digest}")
            + f"INFO:    Converting OCI blobs to SIF format{NL}INFO:    Starting build...{NL}"
            + f"Getting image source signatures{NL}"
            + "".join(f"Copying blob sha256:{self.hex(64)}{NL}" for _ in range(r.randint(2, 8)))
            + f"Copying config sha256:{self.hex(64)}{NL}Writing manifest to image destination{NL}"
            + f"INFO:    Creating SIF file...{NL}"
            + f"[{self.stamp()}] Pulling Singularity image docker://{image}@sha256:{digest} "
            f"[cache /scratch/ada/work/singularity/{image.replace('/', '-').replace(':', '-')}.img]{NL}"
        )

    def cli_help(self) -> str:
        """``--help`` of the tools a scientist runs: argparse and cobra print metavars."""
        r = self.r
        kind = r.randrange(4)
        if kind == 0:
            return self.prompt("huggingface-cli login --help") + (
                f"usage: huggingface-cli <command> [<args>] login [-h] [--token TOKEN] "
                f"[--add-to-git-credential]{NL}{NL}options:{NL}  -h, --help            show this "
                f"help message and exit{NL}  --token TOKEN         Token generated from "
                f"https://huggingface.co/settings/tokens{NL}  --add-to-git-credential{NL}"
                f"                        Optional: Save token to git credential helper.{NL}"
            )
        if kind == 1:
            return self.prompt("docker login --help") + (
                f"{NL}Usage:  docker login [OPTIONS] [SERVER]{NL}{NL}Authenticate to a registry.{NL}"
                f"Defaults to Docker Hub if no server is specified.{NL}{NL}Options:{NL}"
                f"  -p, --password string   Password{NL}      --password-stdin    Take the "
                f"password from stdin{NL}  -u, --username string   Username{NL}"
            )
        if kind == 2:
            return self.prompt("python scripts/eval_llm.py --help") + (
                f"usage: eval_llm.py [-h] [--model MODEL] [--api-base API_BASE] [--api-key API_KEY]{NL}"
                f"                   [--max-tokens MAX_TOKENS] [--temperature TEMPERATURE]{NL}"
                f"                   [--n-samples N_SAMPLES] [--out OUT]{NL}{NL}"
                f"Score a model on the held-out set.{NL}{NL}options:{NL}"
                f"  -h, --help            show this help message and exit{NL}"
                f"  --model MODEL         model name or path (default: meta-llama/Llama-3.1-8B){NL}"
                f"  --api-base API_BASE   OpenAI-compatible endpoint (default: http://localhost:8000/v1){NL}"
                f"  --api-key API_KEY     key for the endpoint (default: $OPENAI_API_KEY){NL}"
                f"  --max-tokens MAX_TOKENS{NL}                        max new tokens (default: 512){NL}"
                f"  --temperature TEMPERATURE{NL}  --n-samples N_SAMPLES{NL}  --out OUT             "
                f"results file (default: results.jsonl){NL}"
            )
        return (
            self.prompt(
                r.choice(
                    [
                        "huggingface-cli upload ada-lab/llm-1b ./outputs/final --token $HF_TOKEN",
                        'psql "host=db.lab.example.org dbname=runs user=ada" --password',
                        'curl -sS -H "Authorization: Bearer $OPENAI_API_KEY" http://localhost:8000/v1/models',
                        "docker build --secret id=hf,src=$HOME/.cache/huggingface/token -t trainer .",
                    ]
                )
            )
            + f"{NL}"
        )

    def notebook(self) -> str:
        """A notebook diffed or printed: JSON with a base64 PNG output."""
        r = self.r
        png = "iVBORw0KGgoAAAANSUhEUgAA" + self.b64(r.randint(300, 3000))
        body = "".join(f'    "{png[i : i + 76]}",{NL}' for i in range(0, min(len(png), 760), 76))
        head = (
            self.prompt("git diff analysis.ipynb")
            + f"\x1b[1mdiff --git a/analysis.ipynb b/analysis.ipynb\x1b[m{NL}"
            + f"\x1b[36m@@ -210,7 +210,7 @@\x1b[m{NL}"
            if r.random() < 0.5
            else self.prompt("cat analysis.ipynb | head -80")
        )
        return (
            head
            + f'   {{{NL}    "cell_type": "code",{NL}    "execution_count": {r.randint(1, 90)},{NL}'
            + f'    "id": "{self.hex(8)}",{NL}    "metadata": {{}},{NL}    "outputs": [{NL}'
            + f'     {{{NL}      "data": {{{NL}       "image/png": "{png}",{NL}'
            + f'       "text/plain": [{NL}        "<Figure size 640x480 with 1 Axes>"{NL}       ]{NL}'
            + f"      }},{NL}"
            + f'      "metadata": {{}},{NL}      "output_type": "display_data"{NL}     }}{NL}    ],{NL}'
            + f'    "source": [{NL}     "fig, ax = plt.subplots()\\n",{NL}'
            + f'     "ax.plot(steps, loss)"{NL}    ]{NL}   }},{NL}'
            + (body if r.random() < 0.2 else "")
        )


def _mmss(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60:02d}:{s % 60:02d}"


#: (kind, weight): how often each kind of segment comes up.
KINDS: list[tuple[str, Callable[[_Gen], str], float]] = [
    ("pip", _Gen.pip_install, 10),
    ("uv", _Gen.uv_install, 3),
    ("pip-compile", _Gen.pip_compile, 3),
    ("conda", _Gen.conda, 2),
    ("training", _Gen.training, 14),
    ("git-log", _Gen.git_log, 8),
    ("git-clone", _Gen.git_clone, 3),
    ("package-lock", _Gen.package_lock, 4),
    ("lockfile", _Gen.poetry_lock, 4),
    ("pytest", _Gen.pytest, 8),
    ("traceback", _Gen.traceback, 6),
    ("nvidia-smi", _Gen.nvidia_smi, 4),
    ("docker", _Gen.docker, 3),
    ("shell", _Gen.shell_misc, 10),
    ("container", _Gen.container_pull, 1),
    ("cli-help", _Gen.cli_help, 2),
    ("notebook", _Gen.notebook, 1),
]


def generate(size: int, seed: int = 1) -> tuple[str, list[tuple[str, int, int]]]:
    """About ``size`` characters of terminal output (``\\r\\n`` line ends), and its segments."""
    gen = _Gen(seed)
    names = [k for k, _f, _w in KINDS]
    weights = [w for _k, _f, w in KINDS]
    funcs = {k: f for k, f, _w in KINDS}
    parts: list[str] = []
    segments: list[tuple[str, int, int]] = []
    pos = 0
    while pos < size:
        kind = gen.r.choices(names, weights)[0]
        text = funcs[kind](gen)
        parts.append(text)
        segments.append((kind, pos, pos + len(text)))
        pos += len(text)
    return "".join(parts), segments
