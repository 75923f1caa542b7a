#!/usr/bin/env python3
"""Self time per operator in a Chrome trace from `bench_models --profile`, largest first.

    bench/profile_summary.py TRACE.json.16 [ROWS]
"""
import collections
import json
import sys

events = [e for e in json.load(open(sys.argv[1])) if e.get("ph") == "X"]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 15
# Self time: an event's duration minus that of the events nested directly inside it (same thread).
events.sort(key=lambda e: (e["tid"], e["ts"], -e["dur"]))
self_us = collections.Counter()
calls = collections.Counter()
stack = []
for e in events:
    while stack and (stack[-1]["tid"] != e["tid"] or stack[-1]["ts"] + stack[-1]["dur"] <= e["ts"]):
        stack.pop()
    if stack:
        self_us[stack[-1]["name"]] -= e["dur"]
    self_us[e["name"]] += e["dur"]
    calls[e["name"]] += 1
    stack.append(e)
total = sum(self_us.values())
print(f"{'operator':40s} {'self ms':>9s} {'share':>6s} {'calls':>6s}")
for name, us in self_us.most_common(rows):
    print(f"{name:40s} {us / 1e3:9.1f} {us / total:6.1%} {calls[name]:6d}")
print(f"{'total':40s} {total / 1e3:9.1f}")
