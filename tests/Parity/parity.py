#!/usr/bin/env python3
"""Numerical parity of nnc with PyTorch: the same model, the same initial weights, the same
batches in the same order, N optimizer steps on both sides; the losses must agree step by
step and the parameters within a tolerance.

  parity.py MODEL --work DIR [--opt sgd,adam] [--steps 20] [--batch 16] [--seed 7]
            [--tol 1e-4] [--trainer NNC-TRAIN] [--models DIR] [--data DIR]
            [--clip-norm X] [--clip-value X]   (gradient clipping on both sides)

MODEL is one of mlp, cnn, lstm, mlp_bn_drop: models/MODEL.nn without its train block
(mlp_bn_drop with dropout p = 0: no randomness), and a torch twin defined below (copies of the
benchmark models of the PyTorch peer, shared/peers/torch_fmnist.py). In DIR the script writes

  init.safetensors   the torch twin's initial parameters in nnc's names and layout (a dense
                     weight is [in, out], the transpose of torch's; LSTM gates i, f, g, o in
                     both), read by the train block's `init_from`;
  *.nn, *.npy        the model with a train block (npy data, `init_from`, `log_every = 1`)
                     and its data: the first STEPS*BATCH Fashion-MNIST training samples (u8,
                     scaled by float(1/255) on both sides), stored in the order that makes
                     nnc-train's seeded shuffle (runtime/lib/Batches.cpp: std::mt19937_64
                     and a rejection-sampled bounded draw, reproduced here bit for bit) draw
                     batch s = samples s*BATCH .. (s+1)*BATCH - 1, the order torch uses;

runs `nnc-train --metrics (a line per step) --save` and trains the twin. The checks:

  * every step's loss within TOL relative (nnc logs it with 6 decimals);
  * SGD: every final parameter and batch-norm statistic within TOL (absolute);
  * Adam: nnc is run again for STEPS-1 steps and torch takes step STEPS from that state
    (parameters, statistics, moments, step count): the result must equal nnc's final
    parameters and moments within TOL (but see GRADIENT_FREE below). The 20-step Adam
    trajectories themselves are only reported: Adam divides each gradient element by its
    own running magnitude, so an element whose gradient is at rounding level (a dense bias
    in front of batch norm, whose exact gradient is 0; a ReLU unit active by a hair) moves
    by up to lr per step in a direction rounding decides. Such elements end up ~1e-4..1e-3
    apart after 20 steps in two float32 implementations that round differently, while the
    losses still agree to ~1e-5.

Prints a line per step and per tensor, and `PARITY OK` or `PARITY FAILED` (exit 1). Needs
torch and numpy only: safetensors is written and read by hand (a length, a JSON header,
raw little-endian data).
"""
import argparse, gzip, json, os, re, struct, subprocess, sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

M64 = (1 << 64) - 1

# --- nnc's batch order (runtime/lib/Batches.cpp) -------------------------------------------


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


class MT19937_64:
    """std::mt19937_64, whose sequence the C++ standard fixes."""

    def __init__(self, seed):
        self.mt = [seed & M64]
        for i in range(1, 312):
            prev = self.mt[-1]
            self.mt.append((6364136223846793005 * (prev ^ (prev >> 62)) + i) & M64)
        self.i = 312

    def __call__(self):
        mt = self.mt
        if self.i >= 312:
            for k in range(312):
                x = (mt[k] & 0xFFFFFFFF80000000) | (mt[(k + 1) % 312] & 0x7FFFFFFF)
                xa = (x >> 1) ^ (0xB5026F5AA96619E9 if x & 1 else 0)
                mt[k] = mt[(k + 156) % 312] ^ xa
            self.i = 0
        x = mt[self.i]
        self.i += 1
        x ^= (x >> 29) & 0x5555555555555555
        x ^= (x << 17) & 0x71D67FFFEDA60000
        x ^= (x << 37) & 0xFFF7EEE000000000
        x ^= x >> 43
        return x & M64


def draw_at_most(rng, bound):
    rng_range = bound + 1
    limit = M64 - M64 % rng_range
    while True:
        v = rng()
        if v < limit:
            return v % rng_range


def nnc_order(n, seed, epoch):
    """The sample order of epoch `epoch` of nnc-train --seed `seed` (Batcher::startEpoch)."""
    order = list(range(n))
    rng = MT19937_64(splitmix64(seed ^ splitmix64(epoch + 1)))
    for i in range(n - 1, 0, -1):
        j = draw_at_most(rng, i)
        order[i], order[j] = order[j], order[i]
    return order


def self_test():
    # The first and the 10000th number of a default-seeded std::mt19937_64 ([rand.predef]).
    rng = MT19937_64(5489)
    first = rng()
    for _ in range(9998):
        rng()
    assert (first, rng()) == (14514284786278117030, 9981545732273789042), \
        "MT19937_64 does not match the C++ standard"
    # nnc's order of 320 samples, seed 7, epoch 0 (from runtime::Batcher).
    assert nnc_order(320, 7, 0)[:6] == [114, 260, 103, 7, 59, 54], "the batch order is not nnc's"


# --- The torch twins of models/*.nn --------------------------------------------------------


class MLP(nn.Module):
    def __init__(s):
        super().__init__(); s.l1 = nn.Linear(784, 256); s.l2 = nn.Linear(256, 128); s.l3 = nn.Linear(128, 10)

    def forward(s, x):
        return s.l3(F.relu(s.l2(F.relu(s.l1(x.flatten(1))))))

    def nnc_params(s):
        return {"dense_0": s.l1, "dense_1": s.l2, "dense_2": s.l3}


class MLPBN(nn.Module):  # mlp_bn_drop with p = 0: dropout is the identity
    def __init__(s):
        super().__init__(); s.l1 = nn.Linear(784, 512); s.bn = nn.BatchNorm1d(512); s.l2 = nn.Linear(512, 10)

    def forward(s, x):
        return s.l2(F.relu(s.bn(s.l1(x.flatten(1)))))

    def nnc_params(s):
        return {"dense_0": s.l1, "batch_norm_0": s.bn, "dense_1": s.l2}


class CNN(nn.Module):
    def __init__(s):
        super().__init__()
        s.c1 = nn.Conv2d(1, 32, 3, padding=1); s.c2 = nn.Conv2d(32, 64, 3, padding=1)
        s.f1 = nn.Linear(64 * 7 * 7, 128); s.f2 = nn.Linear(128, 10)

    def forward(s, x):
        x = F.max_pool2d(F.relu(s.c1(x)), 2); x = F.max_pool2d(F.relu(s.c2(x)), 2)
        return s.f2(F.relu(s.f1(x.flatten(1))))

    def nnc_params(s):
        return {"conv2d_0": s.c1, "conv2d_1": s.c2, "dense_0": s.f1, "dense_1": s.f2}


class LSTM(nn.Module):
    def __init__(s):
        super().__init__(); s.rnn = nn.LSTM(28, 128, batch_first=True); s.fc = nn.Linear(128, 10)

    def forward(s, x):
        out, _ = s.rnn(x.reshape(x.shape[0], 28, 28))
        return s.fc(out[:, -1])

    def nnc_params(s):
        return {"lstm_0": s.rnn, "dense_0": s.fc}


MODELS = {"mlp": MLP, "mlp_bn_drop": MLPBN, "cnn": CNN, "lstm": LSTM}

# Parameters whose exact gradient is 0: batch norm subtracts each feature's batch mean, so a
# bias added in front of it cancels. Their computed gradient is rounding noise (~1e-9), which
# Adam, dividing by its running magnitude, turns into steps of up to ~lr in either direction:
# with Adam they are reported, and their gradient is checked to be noise, not compared.
GRADIENT_FREE = {"mlp_bn_drop": {"dense_0.b"}}


def to_nnc(model):
    """name -> (torch tensor, to nnc layout, from nnc layout), in nnc's names (std.nn)."""
    out = {}
    tr = (lambda t: t.t(), lambda a: a.T)
    same = (lambda t: t, lambda a: a)
    for prefix, m in model.nnc_params().items():
        if isinstance(m, nn.Linear):  # dense: w [in, out]
            out[prefix + ".w"] = (m.weight,) + tr
            out[prefix + ".b"] = (m.bias,) + same
        elif isinstance(m, nn.Conv2d):  # conv2d: w [filters, C, k, k], as torch
            out[prefix + ".w"] = (m.weight,) + same
            out[prefix + ".b"] = (m.bias,) + same
        elif isinstance(m, nn.BatchNorm1d):
            out[prefix + ".gamma"] = (m.weight,) + same
            out[prefix + ".beta"] = (m.bias,) + same
            out["state." + prefix + ".running_mean"] = (m.running_mean,) + same
            out["state." + prefix + ".running_var"] = (m.running_var,) + same
        elif isinstance(m, nn.LSTM):  # w_ih [I, 4H], w_hh [H, 4H]; gates i, f, g, o in both
            out[prefix + ".w_ih"] = (m.weight_ih_l0,) + tr
            out[prefix + ".w_hh"] = (m.weight_hh_l0,) + tr
            out[prefix + ".b_ih"] = (m.bias_ih_l0,) + same
            out[prefix + ".b_hh"] = (m.bias_hh_l0,) + same
        else:
            raise TypeError(type(m))
    return out


# --- Files ----------------------------------------------------------------------------------


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", (name, info["dtype"])
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + b:8 + n + e], dtype="<f4").reshape(info["shape"])
    return out


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    nd = data[3]
    dims = struct.unpack(">" + "I" * nd, data[4:4 + 4 * nd])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * nd).reshape(dims)


def nnc_model_source(models_dir, name, train_block):
    """models/NAME.nn with its train block replaced (and dropout off for mlp_bn_drop)."""
    src = open(os.path.join(models_dir, name + ".nn")).read()
    src, n = re.subn(r"(?ms)^train \w+ \{.*?^\}\n?", "", src)
    assert n == 1, f"{name}.nn: expected one train block, found {n}"
    if name == "mlp_bn_drop":
        src, n = re.subn(r"dropout\((.*), 0\.2\)", r"dropout(\1, 0.0)", src)
        assert n == 1, "mlp_bn_drop.nn: the dropout(..., 0.2) to turn off was not found"
    return src + train_block


# --- The run ---------------------------------------------------------------------------------


class Run:
    def __init__(self, a):
        self.a = a
        self.n = a.steps * a.batch
        self.x_u8 = np.ascontiguousarray(
            read_idx(os.path.join(a.data, "train-images-idx3-ubyte.gz"))[:self.n]).reshape(self.n, 1, 28, 28)
        self.y = read_idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz"))[:self.n].astype(np.int32)
        if len(self.y) < self.n:
            raise SystemExit(f"the data set has {len(self.y)} samples, fewer than {self.n}")
        # As nnc-train: u8 * (1.0f / 255.0f) in float.
        self.x = torch.from_numpy(self.x_u8.astype(np.float32) * np.float32(1.0 / 255.0))
        self.yt = torch.from_numpy(self.y.astype(np.int64))
        torch.manual_seed(a.seed)
        self.init = {k: v[1](v[0].detach()).numpy().copy()
                     for k, v in to_nnc(MODELS[a.model]()).items()}
        write_safetensors(os.path.join(a.work, "init.safetensors"),
                          {k: v for k, v in self.init.items() if not k.startswith("state.")})

    def lr(self, opt):
        return self.a.lr or {"sgd": 0.05, "adam": 1e-3}[opt]

    def nnc(self, opt, steps):
        """nnc-train for `steps` steps on batches 0..steps-1: (losses, final checkpoint)."""
        a, tag = self.a, f"{opt}{steps}"
        n = steps * a.batch
        slot = np.empty(n, dtype=np.int64)
        slot[nnc_order(n, a.seed, 0)] = np.arange(n)  # data[order[i]] = sample i
        np.save(os.path.join(a.work, f"x_{tag}.npy"), self.x_u8[slot])
        np.save(os.path.join(a.work, f"y_{tag}.npy"), self.y[slot])
        block = (f"\ntrain {a.model} {{\n"
                 f"  data      = npy(x = \"x_{tag}.npy\", y = \"y_{tag}.npy\")\n"
                 f"  loss      = cross_entropy\n"
                 f"  optimizer = {opt}(lr = {self.lr(opt)!r})\n"
                 f"  batch     = {a.batch}\n"
                 f"  epochs    = 1\n"
                 f"  init_from = \"init.safetensors\"\n"
                 f"  log_every = 1\n"
                 + (f"  clip_value = {a.clip_value!r}\n" if a.clip_value else "")
                 + (f"  clip_norm = {a.clip_norm!r}\n" if a.clip_norm else "")
                 + f"}}\n")
        model_file = os.path.join(a.work, f"{a.model}_{tag}.nn")
        with open(model_file, "w") as f:
            f.write(nnc_model_source(a.models, a.model, block))
        metrics = os.path.join(a.work, f"metrics_{tag}.jsonl")
        final = os.path.join(a.work, f"final_{tag}.safetensors")
        for p in (metrics, final):
            if os.path.exists(p):
                os.remove(p)
        subprocess.run([a.trainer, model_file, "--seed", str(a.seed), "--metrics", metrics,
                        "--save", final], check=True, stdout=subprocess.DEVNULL)
        losses = [json.loads(l)["loss"] for l in open(metrics) if '"loss"' in l]
        return losses, read_safetensors(final)

    def torch(self, opt, first, last, start=None):
        """The twin from `start` (an nnc checkpoint after `first` steps; None: the initial
        parameters and first = 0), trained on batches first..last-1: (losses, its parameters,
        statistics and Adam moments, named and laid out as nnc's)."""
        a = self.a
        model = MODELS[a.model]()
        named = to_nnc(model)
        optim = (torch.optim.SGD(model.parameters(), lr=self.lr(opt)) if opt == "sgd"
                 else torch.optim.Adam(model.parameters(), lr=self.lr(opt)))
        src = start if start is not None else self.init
        with torch.no_grad():
            for k, (t, _, back) in named.items():
                t.copy_(torch.from_numpy(np.array(back(src[k]))))
        if start is not None and opt == "adam":
            # Create Adam's state with a step of zero gradients (no update), then set it.
            for p in model.parameters():
                p.grad = torch.zeros_like(p)
            optim.step()
            for k, (t, _, back) in named.items():
                if k.startswith("state."):
                    continue
                st = optim.state[t]
                st["step"] = torch.tensor(float(first)) if torch.is_tensor(st["step"]) else first
                st["exp_avg"].copy_(torch.from_numpy(np.array(back(start["adam.m." + k]))))
                st["exp_avg_sq"].copy_(torch.from_numpy(np.array(back(start["adam.v." + k]))))
        model.train()
        losses = []
        for s in range(first, last):
            b = slice(s * a.batch, (s + 1) * a.batch)
            loss = F.cross_entropy(model(self.x[b]), self.yt[b])
            optim.zero_grad()
            loss.backward()
            if a.clip_value:
                torch.nn.utils.clip_grad_value_(model.parameters(), a.clip_value)
            if a.clip_norm:
                torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip_norm)
            optim.step()
            losses.append(loss.item())
        out = {k: v[1](v[0].detach()).numpy() for k, v in named.items()}
        if opt == "adam":
            for k, (t, to, _) in named.items():
                if not k.startswith("state."):
                    out["adam.m." + k] = to(optim.state[t]["exp_avg"]).numpy()
                    out["adam.v." + k] = to(optim.state[t]["exp_avg_sq"]).numpy()
        return losses, out


def compare_losses(label, nnc, ref, steps, tol, first=0):
    ok, worst = True, 0.0
    if len(nnc) != steps:
        print(f"{label}: FAIL: nnc logged {len(nnc)} steps, expected {steps}")
        ok = False
    for s, (ln, lt) in enumerate(zip(nnc, ref)):
        rel = abs(ln - lt) / max(abs(lt), 1e-6)
        worst = max(worst, rel)
        bad = rel > tol
        ok &= not bad
        print(f"{label}: step {first + s + 1:3d} loss nnc {ln:.6f} torch {lt:.6f} rel {rel:.1e}"
              f"{'  FAIL' if bad else ''}")
    return ok, worst


def compare_params(label, nnc, ref, tol, check=True, skip=()):
    """The largest absolute difference per tensor (and relative to the tensor's largest
    magnitude); fails above `tol` (Adam's moments: above `tol` relative) when `check`,
    except for the tensors of parameters in `skip` (their optimizer state included)."""
    ok, worst = True, 0.0
    for name, want in ref.items():
        if name.removeprefix("adam.m.").removeprefix("adam.v.") in skip:
            d = np.abs(nnc[name].astype(np.float64) - want).max() if name in nnc else float("nan")
            print(f"{label}: {name:32s} max|diff| {d:.1e} (gradient-free: not compared)")
            continue
        got = nnc.get(name)
        if got is None or got.shape != want.shape:
            print(f"{label}: FAIL: nnc's '{name}' is {None if got is None else list(got.shape)}, "
                  f"torch's {list(want.shape)}")
            ok = False
            continue
        d = np.abs(got.astype(np.float64) - want)
        k = np.unravel_index(np.argmax(d), d.shape)
        scale = max(float(np.abs(want).max()), 1e-30)
        worst = max(worst, float(d[k]))
        # Adam's moments (v ~ g^2 is tiny) relative to the tensor's largest magnitude.
        bad = check and d[k] > (tol * scale if name.startswith("adam.") else tol)
        ok &= not bad
        print(f"{label}: {name:32s} max|diff| {d[k]:.1e} at {list(map(int, k))} (nnc {got[k]:.6g}, "
              f"torch {want[k]:.6g}; {d[k] / scale:.1e} of max|p|)"
              f"{'  FAIL' if bad else ''}")
    return ok, worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=sorted(MODELS))
    ap.add_argument("--opt", default="sgd,adam")
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--lr", type=float, default=0, help="default: 0.05 (sgd), 1e-3 (adam)")
    ap.add_argument("--trainer", default="nnc-train", help="the nnc-train binary")
    ap.add_argument("--clip-norm", type=float, default=0, help="the train block's clip_norm")
    ap.add_argument("--clip-value", type=float, default=0, help="the train block's clip_value")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--models", default=os.path.join(here, "..", "..", "models"))
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args()
    self_test()
    torch.set_num_threads(1)
    os.makedirs(a.work, exist_ok=True)
    run = Run(a)
    ok, summary = True, []
    for opt in a.opt.split(","):
        label = f"{a.model} {opt}"
        print(f"{label}: lr {run.lr(opt)}, {a.steps} steps of batch {a.batch}, seed {a.seed}, tol {a.tol}")
        nnc_losses, nnc_final = run.nnc(opt, a.steps)
        ref_losses, ref_final = run.torch(opt, 0, a.steps)
        ok_l, worst_l = compare_losses(label, nnc_losses, ref_losses, a.steps, a.tol)
        ok_p, worst_p = compare_params(label + " final", nnc_final, ref_final, a.tol, check=opt == "sgd")
        ok &= ok_l and ok_p
        line = f"{label}: max rel loss diff {worst_l:.1e}, max abs param diff {worst_p:.1e}"
        if opt == "adam":
            # The last step from nnc's own state after steps - 1.
            _, nnc_before = run.nnc(opt, a.steps - 1)
            _, ref_last = run.torch(opt, a.steps - 1, a.steps, start=nnc_before)
            free = GRADIENT_FREE.get(a.model, set())
            ok_s, worst_s = compare_params(label + f" step {a.steps} from nnc's state", nnc_final,
                                           ref_last, a.tol, skip=free)
            ok &= ok_s
            for name in sorted(free):
                # Adam's first moment: an average of the gradients, which must be noise.
                g = float(np.abs(nnc_final["adam.m." + name]).max())
                print(f"{label}: gradient-free {name}: max|adam.m| {g:.1e} (must be < 1e-6)"
                      f"{'' if g < 1e-6 else '  FAIL'}")
                ok &= g < 1e-6
            line += f" (trajectory, reported only); last step from nnc's state: {worst_s:.1e}"
        summary.append(line)
    for line in summary:
        print(line)
    print("PARITY OK" if ok else "PARITY FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
