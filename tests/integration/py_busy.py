# A python3.11 busy loop for the DWARF unwinding test and bench: inner() called from
# the module's loop for SECONDS (forever without an argument).
import sys
import time


def inner(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


deadline = time.time() + float(sys.argv[1]) if len(sys.argv) > 1 else float("inf")
while time.time() < deadline:
    inner(10000)
