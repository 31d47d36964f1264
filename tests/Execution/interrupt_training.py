#!/usr/bin/env python3
"""Sends SIGINT to a trainer once it is training, and waits for it to end.

    interrupt_training.py METRICS.jsonl -- TRAINER ARGS... --metrics METRICS.jsonl

Starts the trainer, waits (up to 120 s) until its --metrics file holds a step line (so the
signal arrives in the middle of training, however long compiling and loading took on a busy
machine), then sends SIGINT and waits for the trainer. Exits with the trainer's exit code;
its standard streams are the trainer's."""
import os, signal, subprocess, sys, time

metrics = sys.argv[1]
cmd = sys.argv[sys.argv.index("--") + 1:]
proc = subprocess.Popen(cmd)
deadline = time.time() + 120
while time.time() < deadline and proc.poll() is None:
    if os.path.exists(metrics) and '"step"' in open(metrics).read():
        break
    time.sleep(0.05)
else:
    proc.kill()
    sys.exit("interrupt_training.py: the trainer ended or never logged a step")
proc.send_signal(signal.SIGINT)
sys.exit(proc.wait(timeout=120))
