#!/usr/bin/env python3
"""The soak: trains several models for a given time with random SIGKILLs and SIGINTs and
resumes, and checks that nothing is lost (issue #18; on demand, not in CI).

    soak.py [--minutes 30] [--bin build/bin] [--work DIR] [--seed 1]

Round after round until the time is spent, each model of MODELS is run by
tests/Execution/kill_resume.py: an uninterrupted run, then runs killed at random moments
(seeded, each resuming from the checkpoint the last one left; every fourth kill a SIGINT,
which saves in the middle of an epoch), then a last run to the end, whose checkpoint must be
byte for byte the uninterrupted run's. Every checkpoint a kill leaves must be complete. One
of the models runs as an AOT trainer built by nnc -o. Prints a line per round and the figures
(time, runs, kills by signal, failures); exits 1 on the first failure."""
import argparse, os, re, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
KILL_RESUME = os.path.join(SRC, "tests", "Execution", "kill_resume.py")

# (name, the trainer's arguments after the model or trainer, whether it runs AOT)
MODELS = [
    ("kill", [os.path.join(SRC, "tests", "Execution", "Inputs", "kill.nn"), "--epochs", "600"],
     False),
    ("iris", [os.path.join(SRC, "models", "iris.nn"), "--epochs", "400"], False),
    ("tiny", [os.path.join(SRC, "models", "tiny.nn"), "--limit", "2560", "--epochs", "12"],
     False),
    ("mlp_bn_drop", [os.path.join(SRC, "models", "mlp_bn_drop.nn"), "--limit", "1280",
                     "--epochs", "8"], False),
    ("xor-aot", ["--epochs", "3000"], True),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--bin", default=os.path.join(SRC, "build", "bin"))
    ap.add_argument("--work", default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kills", type=int, default=8, help="kills per model and round")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="nnc-soak-")
    os.makedirs(work, exist_ok=True)
    # Copies of the binaries, so that rebuilding nnc meanwhile does not disturb the soak.
    nnc_train = os.path.join(work, "nnc-train")
    shutil.copy2(os.path.join(a.bin, "nnc-train"), nnc_train)
    trainer = os.path.join(work, "xor-trainer")
    subprocess.run([os.path.join(a.bin, "nnc"), os.path.join(SRC, "models", "xor.nn"), "-o",
                    trainer], check=True)
    start, rounds, runs, midSave = time.time(), 0, 0, 0
    kills = {"SIGKILL": 0, "SIGINT": 0}
    while time.time() - start < a.minutes * 60:
        for name, args, aot in MODELS:
            if time.time() - start >= a.minutes * 60:
                break
            cmd = [trainer] + args if aot else [nnc_train] + args
            d = os.path.join(work, f"{name}-{rounds}")
            seed = a.seed * 1000 + rounds
            t0 = time.time()
            p = subprocess.run([sys.executable, KILL_RESUME, "--work", d, "--kills", str(a.kills),
                                "--seed", str(seed), "--sigint-every", "4", "--"] + cmd,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
            print(f"round {rounds + 1} {name}: {last} ({time.time() - t0:.0f}s)", flush=True)
            if p.returncode != 0 or not last.startswith("PASS"):
                print(p.stdout)
                print(f"FAIL after {(time.time() - start) / 60:.1f} minutes")
                return 1
            m = re.search(r"PASS: (\d+) SIGKILL, (\d+) SIGINT, (\d+) runs resumed, (\d+) killed",
                          last)
            kills["SIGKILL"] += int(m.group(1))
            kills["SIGINT"] += int(m.group(2))
            runs += int(m.group(3)) + 2  # The resumed runs, the uninterrupted and the last.
            midSave += int(m.group(4))
        rounds += 1
    minutes = (time.time() - start) / 60
    print(f"soak: {minutes:.1f} minutes, {rounds} rounds of {len(MODELS)} models, {runs} runs, "
          f"{kills['SIGKILL']} SIGKILL and {kills['SIGINT']} SIGINT ({midSave} in the middle of a "
          f"save), every resumed run "
          f"bit-identical to its uninterrupted run, 0 failures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
