#!/usr/bin/env python3
"""Runs a command as a process that finds a stale libomp registration file with its own pid.

    stale_registration.py {empty|zeros|garbage} -- COMMAND ARGS...

A process killed while libomp registered itself leaves /dev/shm/__KMP_REGISTERED_LIB_<pid>_<uid>
empty or partial (/tmp holds it where /dev/shm is missing); libomp 22 crashes in a later
process that gets the same pid. This forks, writes such a file for the child's pid and execs
the command in the child (same pid). It passes the child's output through and fails if the
child fails or leaves the file behind."""
import os, sys

CONTENT = {"empty": b"", "zeros": bytes(1024), "garbage": b"garbage-without-dashes"}


def main():
    kind, sep, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    if sep != "--" or kind not in CONTENT or not cmd:
        sys.exit(__doc__)
    directory = "/dev/shm" if os.path.isdir("/dev/shm") else "/tmp"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(write)
        os.read(read, 1)  # the file is in place
        os.execvp(cmd[0], cmd)
    path = f"{directory}/__KMP_REGISTERED_LIB_{pid}_{os.getuid()}"
    with open(path, "wb") as f:
        f.write(CONTENT[kind])
    os.write(write, b"x")
    _, status = os.waitpid(pid, 0)
    if status != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} ended with wait status {status} after finding "
                 f"{path} ({kind})")
    if os.path.exists(path):
        os.unlink(path)
        sys.exit(f"FAIL: {path} is still there after the run")


if __name__ == "__main__":
    main()
