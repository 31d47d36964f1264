#!/usr/bin/env python3
"""Side-by-side benchmark of nnc against the PyTorch peer (../shared/BENCHMARKS.md).

For each model, runs `nnc-train --json` and the peer (`/usr/bin/python3
../shared/peers/torch_fmnist.py`) alternately, N pairs, at each thread count, and prints a
Markdown table: samples/s of both, the median of the per-pair ratios, test accuracy of both,
nnc's compile time, peak RSS of both (/usr/bin/time), and nnc's effective GFLOP/s with its
share of the FMA peak measured in the same run (bench/peak.c).

  bench/run.py                       all seven models, 3 pairs, 1 thread, full epoch
  bench/run.py --models mlp,cnn --pairs 1 --limit 6400 --threads 1

It refuses to run when PyTorch would use the reference BLAS (no OpenBLAS): the comparison
would be meaningless.
"""
import argparse, json, os, platform, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PEER = os.path.join(ROOT, "..", "shared", "peers", "torch_fmnist.py")
# Training GFLOP per 1k samples (~6 x MACs), from BENCHMARKS.md.
GFLOP_PER_1K = {"tiny": 0.15, "mlp": 1.41, "mlp_bn_drop": 2.44, "cnn": 25.3, "rnn": 3.4,
                "gru": 10.1, "lstm": 13.4}
MODELS = ["tiny", "mlp", "mlp_bn_drop", "cnn", "rnn", "gru", "lstm"]


def peak_rss(cmd, env=None):
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-2000:]}")
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    rss_kb = int(p.stderr.strip().splitlines()[-1])
    return json.loads(lines[-1]), rss_kb / 1024


def fma_peak():
    """GFLOP/s of independent FMA chains on one core, measured now (bench/peak.c), built here
    for this CPU at full vector width: clang prefers 256-bit vectors on Intel's server CPUs,
    which would halve the peak and double every share of it. Returns (GFLOP/s, vector bits)."""
    src = os.path.join(HERE, "peak.c")
    flags = ["-O2", "-march=native", "-mprefer-vector-width=512"]
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "peak")
        subprocess.run(["clang-22"] + flags + [src, "-o", exe], check=True)
        asm = subprocess.run(["clang-22"] + flags + ["-S", "-o", "-", src], capture_output=True,
                             text=True, check=True).stdout
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    fmas = [l for l in asm.splitlines() if "vfmadd" in l]
    bits = 512 if any("zmm" in l for l in fmas) else 256 if any("ymm" in l for l in fmas) else 128
    return float(out.split()[0]), bits


def cpu_model():
    """The CPU's model name, as /proc/cpuinfo gives it."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def check_blas():
    # Debian's torch calls the system libblas.so.3, which the alternatives system points at
    # OpenBLAS or at the reference BLAS: look at what the process actually mapped.
    code = ("import torch; torch.ones(64, 64) @ torch.ones(64, 64); "
            "print('openblas' in open('/proc/self/maps').read())")
    p = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("cannot run the peer: /usr/bin/python3 has no torch (apt-get install python3-torch)")
    if p.stdout.strip() != "True":
        sys.exit("refusing to run: PyTorch is not built against OpenBLAS here (install "
                 "libopenblas0-pthread); against the reference BLAS the comparison is meaningless")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--threads", default="1")
    ap.add_argument("--limit", type=int, default=0, help="training samples (0 = all 60000)")
    ap.add_argument("--nnc-train", default=os.path.join(ROOT, "build", "bin", "nnc-train"))
    a = ap.parse_args()
    check_blas()
    peak, bits = fma_peak()
    print(f"CPU: {cpu_model()}")
    print(f"FMA peak of one core, measured now: {peak:.1f} GFLOP/s ({bits}-bit FMAs)\n")
    print("| model | threads | nnc samples/s | torch samples/s | ratio (median) | nnc acc | torch acc "
          "| nnc compile s | nnc RSS MB | torch RSS MB | nnc allocs/step | nnc GFLOP/s | % of peak |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model in a.models.split(","):
        for threads in [int(t) for t in a.threads.split(",")]:
            nnc_cmd = [a.nnc_train, os.path.join(ROOT, "models", model + ".nn"), "--json"]
            peer_cmd = ["/usr/bin/python3", PEER, model, "--threads", str(threads)]
            if threads != 1:
                nnc_cmd += ["--threads", str(threads)]
            if a.limit:
                nnc_cmd += ["--limit", str(a.limit)]
                peer_cmd += ["--limit", str(a.limit)]
            ratios, ns, ts, nacc, tacc, comp, nrss, trss, allocs = [], [], [], [], [], [], [], [], []
            for _ in range(a.pairs):
                n, nr = peak_rss(nnc_cmd)
                t, tr = peak_rss(peer_cmd)
                ns.append(n["samples_per_s"]); ts.append(t["samples_per_s"])
                ratios.append(n["samples_per_s"] / t["samples_per_s"])
                nacc.append(n["test_acc"]); tacc.append(t["test_acc"]); comp.append(n["compile_s"])
                nrss.append(nr); trss.append(tr)
                # Heap allocations per steady-state step (null: not counted in this build).
                allocs.append(n.get("heap_allocs_per_step"))
            med = statistics.median
            gflops = med(ns) * GFLOP_PER_1K.get(model, 0) / 1000
            print(f"| {model} | {threads} | {med(ns):,.0f} | {med(ts):,.0f} | {med(ratios):.2f} | "
                  f"{med(nacc):.4f} | {med(tacc):.4f} | {med(comp):.2f} | {med(nrss):.0f} | "
                  f"{med(trss):.0f} | {'?' if None in allocs else f'{max(allocs):g}'} | "
                  f"{gflops:.1f} | {100 * gflops / peak:.0f}% |", flush=True)


if __name__ == "__main__":
    main()
