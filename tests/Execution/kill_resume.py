#!/usr/bin/env python3
"""Kills a training run over and over and checks that nothing is lost.

    kill_resume.py --work DIR [--kills N] [--seed S] [--sigint-every K] -- TRAINER ARGS...

Runs `TRAINER ARGS --save DIR/ref.safetensors` once uninterrupted (timing it), then the same
command with `--save DIR/ck.safetensors` (and `--resume DIR/ck.safetensors` once that file
exists) N times, each killed once it has saved two checkpoints plus a random delay of up to
three epochs (random.Random(S), so the delays are the same every run) with SIGKILL, or with SIGINT
every K-th time (the trainer saves in the middle of an epoch then). After each kill the checkpoint, if any, must be a complete safetensors file
(checked here, by the format's rules) and no run may fail. A last run resumes to the end; its
checkpoint must equal the uninterrupted run's byte for byte, and no temporary file of a
killed save may remain once a later save succeeded. Prints a line per kill and a summary."""
import argparse, glob, json, os, random, signal, struct, subprocess, sys, time


def check_safetensors(path):
    """Returns the metadata of a complete safetensors file of F32 tensors, or exits."""
    data = open(path, "rb").read()
    def bad(why):
        sys.exit(f"FAIL: torn or invalid checkpoint {path} ({len(data)} bytes): {why}")
    if len(data) < 8:
        bad("shorter than the header length")
    n = struct.unpack("<Q", data[:8])[0]
    if 8 + n > len(data):
        bad(f"header length {n} runs past the end")
    try:
        header = json.loads(data[8:8 + n])
    except ValueError as e:
        bad(f"header is not JSON: {e}")
    meta = header.pop("__metadata__", {})
    ranges = sorted(tuple(t["data_offsets"]) for t in header.values())
    at = 0
    for begin, end in ranges:
        if begin != at:
            bad(f"data offsets do not tile the data at {at}")
        at = end
    if 8 + n + at != len(data):
        bad(f"{len(data) - 8 - n - at} bytes after the last tensor")
    for name, t in header.items():
        count = 1
        for d in t["shape"]:
            count *= d
        if t["dtype"] != "F32" or 4 * count != t["data_offsets"][1] - t["data_offsets"][0]:
            bad(f"tensor {name} does not match its shape")
    if meta.get("format") != "nnc-checkpoint-1":
        bad(f"metadata {meta}")
    return meta


def remove_openmp_registration(pid):
    """A killed process leaves libomp's registration file behind; left to pile up, a torn one
    crashes libomp in a later process with the same pid that does not clear it first."""
    for d in ("/dev/shm", "/tmp"):
        try:
            os.unlink(f"{d}/__KMP_REGISTERED_LIB_{pid}_{os.getuid()}")
        except FileNotFoundError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sigint-every", type=int, default=0)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command and a.command[0] == "--" else a.command
    os.makedirs(a.work, exist_ok=True)
    ref = os.path.join(a.work, "ref.safetensors")
    ck = os.path.join(a.work, "ck.safetensors")
    for f in glob.glob(os.path.join(a.work, "*.safetensors*")):
        os.remove(f)

    # The uninterrupted run, timed: when its first checkpoint appears and when it ends.
    t0 = time.monotonic()
    p = subprocess.Popen(cmd + ["--save", ref], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    first = None
    while p.poll() is None:
        if first is None and os.path.exists(ref):
            first = time.monotonic() - t0
        time.sleep(0.002)
    total = time.monotonic() - t0
    err = p.stderr.read()
    if p.returncode != 0 or first is None:
        sys.exit(f"FAIL: the uninterrupted run exited with {p.returncode}: {err}")
    epochs = int(check_safetensors(ref)["epoch"])
    per_epoch = (total - first) / max(1, epochs - 1)
    print(f"uninterrupted run: {total:.2f}s, the first checkpoint after {first:.2f}s, "
          f"{epochs} epochs of {per_epoch * 1000:.1f}ms")

    def stamp():
        try:
            st = os.stat(ck)
            return (st.st_ino, st.st_mtime_ns)
        except FileNotFoundError:
            return None

    rng = random.Random(a.seed)
    counts = {"SIGKILL": 0, "SIGINT": 0, "resumed": 0, "finished": 0, "mid-save": 0}
    for k in range(a.kills):
        resume = ["--resume", ck] if os.path.exists(ck) else []
        before = check_safetensors(ck) if resume else None
        sig = signal.SIGINT if a.sigint_every and k % a.sigint_every == a.sigint_every - 1 \
            else signal.SIGKILL
        # Each run is killed once it has saved two checkpoints (so that every run makes
        # progress), after a further random delay of up to three epochs (timed by this run's
        # last two saves, or the uninterrupted run's if shorter, so that a load that comes or
        # goes cannot make the runs finish before all kills): the kills land in the steps, the
        # evaluation and the saves alike.
        fraction = rng.uniform(0, 3)
        was = stamp()
        p = subprocess.Popen(cmd + ["--save", ck] + resume, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        saves = []
        while p.poll() is None and len(saves) < 2:
            now = stamp()
            if now != was:
                saves.append(time.monotonic())
                was = now
            time.sleep(0.0005)
        delay = fraction * min(per_epoch, saves[1] - saves[0] if len(saves) == 2 else per_epoch)
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            p.send_signal(sig)
        _, err = p.communicate()
        if p.returncode == -signal.SIGKILL:
            remove_openmp_registration(p.pid)
        # Killed, interrupted (saved, 130), or done.
        if p.returncode not in (-signal.SIGKILL, -signal.SIGINT, 130, 0):
            sys.exit(f"FAIL: run {k + 1} exited with {p.returncode}: {err}")
        after = check_safetensors(ck) if os.path.exists(ck) else None
        if before and after and int(after["step"]) < int(before["step"]):
            sys.exit(f"FAIL: the checkpoint went back from step {before['step']} to {after['step']}")
        counts["resumed"] += bool(resume)
        torn = [f for f in glob.glob(ck + ".tmp.*") if f.endswith(f".{p.pid}")]
        counts["mid-save"] += bool(torn)
        where = "none"
        if after:
            where = f"step {after['step']}, epoch {after['epoch']}" + (
                f" and {after['epoch_step']} steps" if "epoch_step" in after else "")
        print(f"run {k + 1}: {signal.Signals(sig).name} {delay * 1000:.1f}ms after a save -> "
              f"exit {p.returncode}, the checkpoint at {where}"
              + (" (killed in the middle of a save)" if torn else ""))
        if p.returncode == 0:
            counts["finished"] += 1
            break
        counts[signal.Signals(sig).name] += 1

    resume = ["--resume", ck] if os.path.exists(ck) else []
    r = subprocess.run(cmd + ["--save", ck] + resume, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"FAIL: the last run exited with {r.returncode}: {r.stderr}")
    if open(ck, "rb").read() != open(ref, "rb").read():
        sys.exit(f"FAIL: {ck} differs from the uninterrupted run's {ref}: "
                 f"{check_safetensors(ck)} vs {check_safetensors(ref)}")
    left = glob.glob(ck + ".tmp.*")
    if left:
        sys.exit(f"FAIL: temporary files of killed saves remain: {left}")
    print(f"PASS: {counts['SIGKILL']} SIGKILL, {counts['SIGINT']} SIGINT, "
          f"{counts['resumed']} runs resumed, {counts['mid-save']} killed in the middle of a save; "
          "the result is bit-identical to the uninterrupted run")


if __name__ == "__main__":
    main()
