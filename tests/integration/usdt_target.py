# The program test_usdt traces: Debian's python3.11 fires its USDT probes python:audit
# (one per sys.audit) and python:gc__start (one per collection).
#   python3.11 usdt_target.py AUDITS COLLECTS [GO_FILE]
# With GO_FILE it first waits (up to 30 s) for that file to exist: ringlua, attached to
# it by -p, makes it.
import gc
import os
import sys
import time

audits, collects = int(sys.argv[1]), int(sys.argv[2])
if len(sys.argv) > 3:
    deadline = time.monotonic() + 30
    while not os.path.exists(sys.argv[3]) and time.monotonic() < deadline:
        time.sleep(0.01)
for i in range(audits):
    sys.audit("ringlua.test", i)
for _ in range(collects):
    gc.collect()
