#!/usr/bin/env python3
"""A checkpoint that cannot be written, as on a full disk, without root and without a mount.

    full_disk.py --work DIR -- TRAINER ARGS...

Trains `TRAINER ARGS --epochs 2 --save DIR/ck.safetensors`, then resumes it for more epochs
under a file size limit (RLIMIT_FSIZE, `ulimit -f`) one byte below the checkpoint's size, so
that writing the next checkpoint fails part-way with EFBIG as a full disk fails with ENOSPC.
SIGXFSZ is left at its default (which would kill the process): the trainer must ignore it.
Checks that the trainer exits with 1, says which file it could not save, why, and which
checkpoint is the last good one; that this checkpoint is unchanged byte for byte and no
temporary file remains; and that it still resumes. Then the same for a run whose first save
fails: it must say that no checkpoint of this run was written."""
import argparse, glob, os, resource, signal, subprocess, sys


def limited(size):
    def set_limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return set_limit


def expect(cond, what, err):
    if not cond:
        sys.exit(f"FAIL: {what}\n--- stderr:\n{err}")


def empty_registrations():
    """libomp's registration files that are empty: under the size limit libomp cannot size
    its file, and an empty one crashes the next libomp process with the same pid."""
    return {f for f in glob.glob("/dev/shm/__KMP_REGISTERED_LIB_*") if os.path.getsize(f) == 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command and a.command[0] == "--" else a.command
    os.makedirs(a.work, exist_ok=True)
    ck = os.path.join(a.work, "ck.safetensors")
    for f in glob.glob(ck + "*"):
        os.remove(f)
    torn_before = empty_registrations()

    r = subprocess.run(cmd + ["--epochs", "2", "--save", ck], capture_output=True, text=True)
    expect(r.returncode == 0, f"the first run exited with {r.returncode}", r.stderr)
    good = open(ck, "rb").read()

    # The next save needs as many bytes as this one; allow one fewer.
    r = subprocess.run(cmd + ["--epochs", "4", "--resume", ck, "--save", ck],
                       capture_output=True, text=True, preexec_fn=limited(len(good) - 1))
    expect(r.returncode == 1, f"the limited run exited with {r.returncode}, expected 1", r.stderr)
    expect(f"could not save the checkpoint (the previous one, if any, is intact): {ck}: "
           in r.stderr, "the message does not name the file", r.stderr)
    expect("File too large" in r.stderr, "the message does not give the reason", r.stderr)
    expect(f"The last good checkpoint is {ck} (after epoch 2)." in r.stderr,
           "the message does not name the last good checkpoint", r.stderr)
    expect(open(ck, "rb").read() == good, "the previous checkpoint changed", r.stderr)
    expect(not glob.glob(ck + ".tmp.*"), "a temporary file remains", r.stderr)
    print(r.stderr.strip())

    # The intact checkpoint resumes, now without the limit.
    r = subprocess.run(cmd + ["--epochs", "3", "--resume", ck, "--save", ck],
                       capture_output=True, text=True)
    expect(r.returncode == 0, f"resuming exited with {r.returncode}", r.stderr)

    # A fresh run whose first save fails; a file already at the path stays as it was.
    other = open(ck, "rb").read()
    r = subprocess.run(cmd + ["--epochs", "1", "--save", ck], capture_output=True, text=True,
                       preexec_fn=limited(len(good) - 1))
    expect(r.returncode == 1, f"the limited fresh run exited with {r.returncode}", r.stderr)
    expect("File too large" in r.stderr and
           "No checkpoint of this run was written before." in r.stderr,
           "the message of a failed first save", r.stderr)
    expect(open(ck, "rb").read() == other, "the file at the path changed", r.stderr)
    expect(not glob.glob(ck + ".tmp.*"), "a temporary file remains", r.stderr)
    print(r.stderr.strip())
    left = empty_registrations() - torn_before
    expect(not left, f"the limited runs left empty libomp registration files: {sorted(left)}", "")
    print("PASS")


if __name__ == "__main__":
    main()
