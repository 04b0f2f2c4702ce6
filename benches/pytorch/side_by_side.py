#!/usr/bin/env python3
"""Side-by-side timing: teleport-lab's meta-training against plain PyTorch.

Implements in plain PyTorch (CPU, one thread, float32 networks) the same
meta-training as `teleport-lab train` in the paper's configuration, times it,
times the Rust binary on the same configuration in the same run, and prints a
markdown table (optionally an SVG bar chart). See README.md next to this file
for what is and is not identical.

    python3 benches/pytorch/side_by_side.py                       # l2o, lr-tele-momentum
    python3 benches/pytorch/side_by_side.py --variants all --repeats 3 --svg out.svg
    python3 benches/pytorch/side_by_side.py --check-only           # forward cross-check only

The PyTorch model mirrors crates/teleport-core/src/l2o/{lstm,meta,train}.rs:
two stacked `nn.LSTMCell`s (gates i, f, g, o) and a linear head per network,
PyTorch's default initialisation U(-1/sqrt(H), 1/sqrt(H)); the raw gradient
as input (detached: first-order meta-gradients); head outputs read as

    l2o               m1 -> [dx0, dx1]                  x <- x + dx
    l2o-tele          m1 -> [dx0, dx1, y_theta]         x <- g_theta(x + dx)
    lr-tele           m1 -> [y_alpha, y_theta]          x <- g_theta(x - alpha z)
    lr-tele-momentum  m1 -> [y_alpha]; m2 -> [y_beta, y_theta]
                      v <- beta v - alpha z;            x <- g_theta(x + v)

with theta = pi tanh(y), alpha = max_lr sigmoid(y - 3), beta = sigmoid(y), the
teleport g_theta(x) = h^-1(R_theta h(x)) at every step; meta-loss = mean of
f(x_t) over each unroll of T steps, Adam (PyTorch defaults, Rust's
learning rates), iterates, velocity and LSTM states detached at unroll
boundaries, the last partial unroll stepped without an update.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import random
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

# torch imports fine without NumPy (this script does not use it) but warns.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
import torch  # noqa: E402
from torch import nn  # noqa: E402

REPO = Path(__file__).resolve().parents[2]

VARIANTS = ["l2o", "l2o-tele", "lr-tele", "lr-tele-momentum"]
# Head outputs per network (meta.rs `Variant::outputs`).
OUTPUTS = {"l2o": [2], "l2o-tele": [3], "lr-tele": [2], "lr-tele-momentum": [1, 2]}
# Adam learning rate per network (meta.rs `Variant::default_meta_lr`).
META_LR = {"l2o": [4e-4], "l2o-tele": [4e-4], "lr-tele": [4e-4], "lr-tele-momentum": [1e-4, 1e-3]}
LR_HEAD_SHIFT = -3.0  # meta.rs LR_HEAD_SHIFT
MIN_SCALE = 0.05  # objective/sample.rs Sampling::DEFAULT_MIN_SCALE
LOSS_TAIL = 50  # `teleport-lab train` reports the mean loss of the last 50 trajectories


@dataclass
class Config:
    """The paper's configuration (train.rs `TrainConfig::paper`, meta.rs `ModelConfig::paper`)."""

    trajectories: int = 500  # R
    steps: int = 21  # N
    unroll: int = 5  # T
    hidden: int = 100  # H
    max_angle: float = math.pi
    max_lr: float = 1.0
    seed: int = 0
    two_biases: bool = False  # PyTorch's bias_ih + bias_hh, both trained (the paper's code)


# ---------------------------------------------------------------- the model


class Net(nn.Module):
    """Two stacked LSTM cells and a linear head (lstm.rs `Net`)."""

    def __init__(self, n_in: int, hidden: int, n_out: int, two_biases: bool = False):
        super().__init__()
        self.cell0 = nn.LSTMCell(n_in, hidden)
        self.cell1 = nn.LSTMCell(hidden, hidden)
        self.head = nn.Linear(hidden, n_out)
        self.hidden = hidden
        if not two_biases:
            # teleport-lab's cells have one bias each, drawn like PyTorch's
            # bias_ih: keep bias_ih, freeze bias_hh at zero.
            for cell in (self.cell0, self.cell1):
                with torch.no_grad():
                    cell.bias_hh.zero_()
                cell.bias_hh.requires_grad_(False)

    def zero_state(self):
        z = torch.zeros(1, self.hidden)
        return (z, z, z, z)

    def forward(self, inp, state):
        h0, c0, h1, c1 = state
        h0, c0 = self.cell0(inp, (h0, c0))
        h1, c1 = self.cell1(h0, (h1, c1))
        return self.head(h1)[0], (h0, c0, h1, c1)


def trainable(net: nn.Module):
    return [p for p in net.parameters() if p.requires_grad]


# ---------------------------------------------------------------- the tasks


@dataclass
class Task:
    """An ellipse h(x) = A x + b and a start point (objective/mod.rs `Ellipse`)."""

    a: torch.Tensor  # 2x2 float64
    a_inv: torch.Tensor
    b: torch.Tensor
    x0: torch.Tensor

    def h(self, x):
        return self.a @ x + self.b

    def f(self, x):
        u = self.h(x)
        return u.dot(u)

    def grad(self, x):
        return 2.0 * self.a.T @ self.h(x)

    def teleport(self, x, theta):
        """g_theta(x) = A^-1 (R_theta (A x + b) - b)."""
        u = self.h(x)
        c, s = torch.cos(theta), torch.sin(theta)
        rotated = torch.stack((c * u[0] - s * u[1], s * u[0] + c * u[1]))
        return self.a_inv @ (rotated - self.b)


def smallest_singular_value(a11, a12, a21, a22):
    """objective/sample.rs `smallest_singular_value`, in closed form."""
    t = a11 * a11 + a12 * a12 + a21 * a21 + a22 * a22
    det = a11 * a22 - a12 * a21
    disc = math.sqrt(max(t * t - 4.0 * det * det, 0.0))
    big = math.sqrt((t + disc) * 0.5)
    return 0.0 if big == 0.0 else abs(det) / big


def sample_elli_vary(rng: random.Random) -> Task:
    """`elli_vary` with the default `Sampling::Conditioned { min_scale: 0.05 }`:
    A, b with i.i.d. N(0, 1) entries, redrawn while sigma_min(A) < 0.05 (or A
    fails Ellipse::new's relative singularity test); x0 ~ N(0, I)."""
    while True:
        a11, a12, a21, a22 = (rng.gauss(0.0, 1.0) for _ in range(4))
        b = (rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0))
        if smallest_singular_value(a11, a12, a21, a22) < MIN_SCALE:
            continue
        det = a11 * a22 - a12 * a21
        scale = max(abs(a11), abs(a12), abs(a21), abs(a22))
        if abs(det) <= 1e-12 * scale * scale:
            continue
        break
    x0 = (rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0))
    return make_task(((a11, a12), (a21, a22)), b, x0)


def make_task(a, b, x0) -> Task:
    (a11, a12), (a21, a22) = a
    det = a11 * a22 - a12 * a21
    a_inv = ((a22 / det, -a12 / det), (-a21 / det, a11 / det))
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    return Task(t(a), t(a_inv), t(b), t(x0))


# ---------------------------------------------------------------- the rollout


@dataclass
class Rollout:
    x: torch.Tensor
    v: torch.Tensor
    states: list = field(default_factory=list)


def start(nets, task: Task) -> Rollout:
    return Rollout(task.x0.clone(), torch.zeros(2, dtype=torch.float64), [n.zero_state() for n in nets])


def step(variant: str, cfg: Config, nets, task: Task, roll: Rollout):
    """One optimizee step (meta.rs `step_with_gradient` and `apply_head`):
    networks in float32, the optimizee side in float64 as in Rust. Updates
    `roll`; returns the teleport angle (None for l2o)."""
    with torch.no_grad():
        z = task.grad(roll.x)  # the networks' input: a constant (first order)
    inp = z.to(torch.float32).unsqueeze(0)
    raw = []
    for k, net in enumerate(nets):
        y, roll.states[k] = net(inp, roll.states[k])
        raw.append(y.to(torch.float64))
    angle = lambda y: cfg.max_angle * torch.tanh(y)  # noqa: E731
    lr = lambda y: cfg.max_lr * torch.sigmoid(y + LR_HEAD_SHIFT)  # noqa: E731
    if variant == "l2o":
        roll.x = roll.x + raw[0][:2]
        return None
    if variant == "l2o-tele":
        pre, theta = roll.x + raw[0][:2], angle(raw[0][2])
    elif variant == "lr-tele":
        pre, theta = roll.x - lr(raw[0][0]) * z, angle(raw[0][1])
    else:  # lr-tele-momentum
        alpha, beta, theta = lr(raw[0][0]), torch.sigmoid(raw[1][0]), angle(raw[1][1])
        roll.v = beta * roll.v - alpha * z
        pre = roll.x + roll.v
    roll.x = task.teleport(pre, theta)
    return theta


def detach(roll: Rollout) -> Rollout:
    return Rollout(
        roll.x.detach(), roll.v.detach(), [tuple(s.detach() for s in st) for st in roll.states]
    )


def build(variant: str, cfg: Config):
    return [Net(2, cfg.hidden, o, cfg.two_biases) for o in OUTPUTS[variant]]


@dataclass
class TrainResult:
    loss_history: list
    meta_updates: int = 0
    skipped_nonfinite: int = 0

    def tail_loss(self) -> float:
        """Mean of the last 50 finite per-trajectory losses (as `teleport-lab train` prints)."""
        tail = [v for v in self.loss_history[-LOSS_TAIL:] if math.isfinite(v)]
        return sum(tail) / max(len(tail), 1)


def train(variant: str, cfg: Config) -> TrainResult:
    """Algorithm 1 (train.rs `Trainer::train_batch` with batch 1)."""
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed ^ 0x9E3779B97F4A7C15)
    nets = build(variant, cfg)
    opts = [torch.optim.Adam(trainable(n), lr=lr) for n, lr in zip(nets, META_LR[variant])]
    params = [p for n in nets for p in trainable(n)]
    out = TrainResult([])
    for _ in range(cfg.trajectories):
        task = sample_elli_vary(rng)
        roll = start(nets, task)
        losses = []
        t = 0
        while t < cfg.steps:
            n = min(cfg.unroll, cfg.steps - t)
            if n < cfg.unroll:
                # A last partial unroll takes its steps but no meta-update.
                with torch.no_grad():
                    for _ in range(n):
                        step(variant, cfg, nets, task, roll)
                break
            total = 0.0
            for _ in range(n):
                step(variant, cfg, nets, task, roll)
                total = total + task.f(roll.x)
            loss = total / cfg.unroll
            for opt in opts:
                opt.zero_grad(set_to_none=True)
            loss.backward()
            value = loss.item()
            t += n
            # A non-finite loss or gradient skips the update (train.rs `apply_update`);
            # the trajectory's loss averages its finite unroll losses.
            if math.isfinite(value) and all(bool(torch.isfinite(p.grad).all()) for p in params):
                for opt in opts:
                    opt.step()
                out.meta_updates += 1
            else:
                out.skipped_nonfinite += 1
            if math.isfinite(value):
                losses.append(value)
            roll = detach(roll)
            # Iterates that left the finite world restart from x0.
            if not bool(torch.isfinite(torch.cat((roll.x, roll.v))).all()):
                roll = start(nets, task)
        out.loss_history.append(sum(losses) / len(losses) if losses else math.nan)
    return out


# ---------------------------------------------------------------- teleport-lab


RUST_LINE = re.compile(
    r"(\d+) meta-updates \((\d+) skipped non-finite.*mean loss of the last \d+ trajectories "
    r"([-+0-9.eEinfaN]+), ([0-9.]+) s"
)


def run_rust(binary: Path, variant: str, cfg: Config, out: Path):
    """Runs `teleport-lab train` once; returns (process wall s, training s, tail loss, skipped)."""
    cmd = [
        str(binary), "train", "--variant", variant, "--dist", "elli_vary",
        "--trajectories", str(cfg.trajectories), "--steps", str(cfg.steps),
        "--unroll", str(cfg.unroll), "--hidden", str(cfg.hidden),
        "--seed", str(cfg.seed), "--out", str(out),
    ]  # fmt: skip
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    m = RUST_LINE.search(proc.stdout)
    if not m:
        sys.exit(f"cannot parse the output of {' '.join(cmd)}:\n{proc.stdout}")
    return wall, float(m.group(4)), float(m.group(3)), int(m.group(2))


# ---------------------------------------------------------------- cross-check


def read_safetensors(path: Path):
    """A minimal safetensors reader (F32 only): (tensors, metadata)."""
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n :]
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {info['dtype']}")
        lo, hi = info["data_offsets"]
        t = torch.frombuffer(bytearray(body[lo:hi]), dtype=torch.float32)
        tensors[name] = t.reshape(info["shape"])
    return tensors, meta


def load_rust_weights(path: Path):
    """teleport-lab weights (io/weights.rs) into `Net`s: PyTorch's LSTMCell
    layout, with the one bias as bias_ih and bias_hh = 0."""
    tensors, meta = read_safetensors(path)
    model = json.loads(meta["model_config"])
    variant = model["variant"]
    if model.get("preprocess") != "raw" or model.get("teleport") != {"every": 1}:
        raise ValueError(f"{path}: only raw inputs and teleports at every step are mirrored here")
    cfg = Config(hidden=model["hidden"], max_angle=model["max_angle"], max_lr=model["max_lr"])
    nets = build(variant, cfg)
    with torch.no_grad():
        for k, net in enumerate(nets):
            p = f"m{k + 1}"
            for c, cell in enumerate((net.cell0, net.cell1)):
                cell.weight_ih.copy_(tensors[f"{p}.cell{c}.weight_ih"])
                cell.weight_hh.copy_(tensors[f"{p}.cell{c}.weight_hh"])
                cell.bias_ih.copy_(tensors[f"{p}.cell{c}.bias"])
                cell.bias_hh.zero_()
            net.head.weight.copy_(tensors[f"{p}.head.weight"])
            net.head.bias.copy_(tensors[f"{p}.head.bias"])
    return variant, cfg, nets


def check_weights(binary: Path, path: Path, steps: int = 12) -> tuple[str, float, float]:
    """Runs the same learned optimizer from the same weights in PyTorch and in
    `teleport-lab eval` on an elli_vary task; returns (variant, the largest
    |x_t difference| / (1 + |x_t|) and the largest angle difference)."""
    variant, cfg, nets = load_rust_weights(path)
    task_a, task_b, x0 = ((0.9, -0.4), (0.6, 1.3)), (0.5, -0.8), (-1.2, 0.7)
    lab = {
        "version": 2,
        "objective": {"family": "ellipse", "A": [list(r) for r in task_a], "b": list(task_b)},
        "x0": list(x0),
        "steps": steps,
        "optimizers": [{"kind": "learned", "variant": variant, "weights": str(path.resolve())}],
    }
    with tempfile.TemporaryDirectory() as d:
        lab_path = Path(d) / "check.json"
        lab_path.write_text(json.dumps(lab))
        proc = subprocess.run(
            [str(binary), "eval", "--scene", str(lab_path), "--format", "csv"],
            capture_output=True, text=True,
        )  # fmt: skip
    if proc.returncode != 0:
        sys.exit(f"teleport-lab eval failed:\n{proc.stderr}")
    # name,t,x0,x1,f,grad0,grad1,teleported,theta (the name may hold quoted commas):
    # split from the right, so r[0] is "name,t", r[1:3] is x and r[7] is theta.
    rows = [r.rsplit(",", 7) for r in proc.stdout.strip().splitlines()[1:]]
    rust = [(float(r[1]), float(r[2]), float(r[7]) if r[7] else 0.0) for r in rows]
    task = make_task(task_a, task_b, x0)
    roll = start(nets, task)
    worst_x = worst_theta = 0.0
    with torch.no_grad():
        for t in range(1, min(steps, len(rust) - 1) + 1):
            theta = step(variant, cfg, nets, task, roll)
            theta = 0.0 if theta is None else float(theta)
            rx, ry, rtheta = rust[t]
            x = roll.x.tolist()
            worst_x = max(worst_x, max(abs(x[0] - rx), abs(x[1] - ry)) / (1.0 + math.hypot(rx, ry)))
            worst_theta = max(worst_theta, abs(theta - rtheta))
    return variant, worst_x, worst_theta


# ---------------------------------------------------------------- report


def fmt_secs(s: float) -> str:
    return f"{s * 1e3:.0f} ms" if s < 1 else f"{s:.2f} s"


def svg_chart(rows, title: str, footer: str) -> str:
    """A horizontal bar chart: per variant, PyTorch and teleport-lab medians (linear scale)."""
    bar_h, gap, left, width = 18, 14, 150, 460
    vmax = max(max(r["torch"], r["rust"]) for r in rows)
    height = 50 + len(rows) * (2 * bar_h + gap) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 140}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="10" y="20" font-size="14" font-weight="bold">{title}</text>',
    ]
    y = 40
    colors = {"torch": "#ee4c2c", "rust": "#3b6ea5"}
    names = {"torch": "PyTorch", "rust": "teleport-lab"}
    for r in rows:
        out.append(f'<text x="10" y="{y + bar_h + 4}">{r["variant"]}</text>')
        for key in ("torch", "rust"):
            w = max(1.0, width * r[key] / vmax)
            out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{colors[key]}"/>')
            label = f"{names[key]} {fmt_secs(r[key])}"
            if key == "rust":
                label += f" ({r['torch'] / r['rust']:.0f}x faster)"
            out.append(f'<text x="{left + w + 5:.1f}" y="{y + bar_h - 5}">{label}</text>')
            y += bar_h
        y += gap
    out.append(f'<text x="10" y="{y + 12}" fill="#555">{footer}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", default="l2o,lr-tele-momentum",
                    help="comma-separated variants, or `all` (default: l2o,lr-tele-momentum)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per side and variant (median)")
    ap.add_argument("--bin", default="target/release/teleport-lab",
                    help="teleport-lab binary (relative to the repository root)")
    ap.add_argument("--trajectories", type=int, default=500, help="R (default 500)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--two-biases", action="store_true",
                    help="train LSTMCell's bias_ih and bias_hh both (the paper's code) instead of one bias")
    ap.add_argument("--svg", type=Path, help="also write a bar chart here")
    ap.add_argument("--check", action="store_true",
                    help="also cross-check forward passes against teleport-lab eval")
    ap.add_argument("--check-only", action="store_true", help="only the cross-check, no timing")
    args = ap.parse_args()  # fmt: skip

    variants = VARIANTS if args.variants == "all" else args.variants.split(",")
    for v in variants:
        if v not in VARIANTS:
            sys.exit(f"unknown variant {v!r}; expected one of {', '.join(VARIANTS)} or all")
    binary = Path(args.bin)
    if not binary.is_absolute():
        binary = REPO / binary
    if not binary.exists():
        sys.exit(f"no teleport-lab binary at {binary} (build it with cargo build --release, or pass --bin)")
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    cfg = Config(trajectories=args.trajectories, seed=args.seed, two_biases=args.two_biases)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), Python {platform.python_version()}, "
          f"{platform.machine()} {os.cpu_count()} CPU(s); teleport-lab {binary}")  # fmt: skip

    if args.check or args.check_only:
        print("\n## Cross-check: the same weights, 12 steps in PyTorch and in `teleport-lab eval`\n")
        print("| weights | variant | max \\|Δx\\|/(1+\\|x\\|) | max \\|Δθ\\| |")
        print("|---|---|---:|---:|")
        for v in variants:
            path = REPO / "assets" / "weights" / f"{v}-elli_vary.safetensors"
            if path.exists():
                variant, dx, dth = check_weights(binary, path)
                print(f"| {path.relative_to(REPO)} | {variant} | {dx:.1e} | {dth:.1e} |")
        if args.check_only:
            return

    print(f"\nR = {cfg.trajectories} trajectories x N = {cfg.steps} steps, unroll T = {cfg.unroll}, "
          f"H = {cfg.hidden}, elli_vary, seed {cfg.seed}, {args.repeats} repeat(s); runs interleaved\n",
          flush=True)  # fmt: skip
    # Untimed warm-up: PyTorch's first calls of each operator are slower
    # (dispatch caches, lazy initialisation); import is excluded as well.
    for v in variants:
        train(v, dataclasses.replace(cfg, trajectories=5))
    times = {v: {"torch": [], "rust": [], "rust_inner": []} for v in variants}
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeats):
            for v in variants:
                t0 = time.perf_counter()
                res = train(v, cfg)
                dt = time.perf_counter() - t0
                times[v]["torch"].append(dt)
                out = Path(tmp) / f"{v}.safetensors"
                wall, inner, rust_loss, rust_skipped = run_rust(binary, v, cfg, out)
                times[v]["rust"].append(wall)
                times[v]["rust_inner"].append(inner)
                result[v] = (res, rust_loss, rust_skipped, out)
                print(f"  repeat {rep + 1}/{args.repeats} {v}: PyTorch {dt:.2f} s, "
                      f"teleport-lab {wall:.2f} s (training {inner:.2f} s)", file=sys.stderr, flush=True)  # fmt: skip
        if args.check:
            print("\n## Cross-check on the weights teleport-lab just trained\n")
            print("| variant | max \\|Δx\\|/(1+\\|x\\|) | max \\|Δθ\\| |")
            print("|---|---:|---:|")
            for v in variants:
                variant, dx, dth = check_weights(binary, result[v][3])
                print(f"| {variant} | {dx:.1e} | {dth:.1e} |")

    print("\n## Meta-training wall time (median)\n")
    print("| variant | PyTorch | teleport-lab (process) | ratio | teleport-lab (training only) "
          "| final loss PyTorch | final loss teleport-lab |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = []
    for v in variants:
        tt = statistics.median(times[v]["torch"])
        tr = statistics.median(times[v]["rust"])
        ti = statistics.median(times[v]["rust_inner"])
        res, rust_loss, rust_skipped, _ = result[v]
        skipped = f" ({res.skipped_nonfinite} skipped)" if res.skipped_nonfinite else ""
        rskipped = f" ({rust_skipped} skipped)" if rust_skipped else ""
        print(f"| {v} | {fmt_secs(tt)} | {fmt_secs(tr)} | {tt / tr:.1f}x | {fmt_secs(ti)} "
              f"| {res.tail_loss():.4f}{skipped} | {rust_loss:.4f}{rskipped} |")  # fmt: skip
        rows.append({"variant": v, "torch": tt, "rust": tr})
    print(f"\nfinal loss: mean unroll loss of the last {LOSS_TAIL} trajectories (different task draws "
          "on each side: same distribution, not the same numbers). Ratio = PyTorch / teleport-lab "
          "process time. All times: one thread, shared machine, indicative.")  # fmt: skip
    if args.svg:
        title = f"Meta-training, PyTorch {torch.__version__} vs teleport-lab"
        footer = (
            f"median wall time of {args.repeats} run(s): R = {cfg.trajectories} trajectories x N = "
            f"{cfg.steps} steps, unroll {cfg.unroll}, H = {cfg.hidden}, elli_vary, one thread"
        )
        args.svg.write_text(svg_chart(rows, title, footer))
        print(f"\nwrote {args.svg}")


if __name__ == "__main__":
    main()
