#!/usr/bin/env python3
"""Seed corpora for the fuzzers (docs/reliability.md): python3 tests/fuzz/make_seeds.py OUT [SHARED]

Writes OUT/<harness>/ from the repository's examples, shipped sets, tests and docs, and the
shared reference data's BPX file (SHARED defaults to ../shared next to the repository).
Run from the repository root.
"""
import glob
import json
import os
import re
import shutil
import sys

out = sys.argv[1]
shared = sys.argv[2] if len(sys.argv) > 2 else os.path.join("..", "shared")
for h in ["experiment", "sweep", "parameter_file", "bpx", "expression", "table"]:
    os.makedirs(os.path.join(out, h), exist_ok=True)
sources = glob.glob("tests/integration/*.cpp") + glob.glob("tests/unit/*.cpp")

# expressions: the fixture's and the shipped sets' strings with an operator (first byte 0x3f:
# every variable allowed, plain compile options)
exprs = set()
def walk(o):
    if isinstance(o, dict):
        for v in o.values():
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
    elif isinstance(o, str) and any(c in o for c in "*/+") and len(o) < 2000:
        exprs.add(o)
for f in ["tests/fixtures/expressions.json"] + glob.glob("solver/inputs/sets/*.json"):
    walk(json.load(open(f)))
for i, e in enumerate(sorted(exprs)[:300]):
    open(os.path.join(out, "expression", f"s{i}"), "wb").write(bytes([0x3F]) + e.encode())

tables = ["linear\n\n0,0.1\n0.5,0.2\n1,0.3\n", "pchip\n\n0,1\n0.2,0.8\n0.5,0.5\n1,0.1\n",
          "cubic\n\n0,1\n0.3,0.7\n0.6,0.2\n0.8,0.15\n1,0.05\n", "linear\nx * T / 298.15\n0,1\n1,2\n",
          "cubic\n\n0,1\n1,nan\n", "pchip\n\n0,1\n1,2\n2,inf\n"]
for i, t in enumerate(tables):
    open(os.path.join(out, "table", f"s{i}"), "w").write(t)

# experiment steps quoted in fixtures, tests and docs, three per input (first byte: repeat 1)
steps = set()
for f in glob.glob("tests/fixtures/*.json") + sources + glob.glob("docs/*.md"):
    steps.update(re.findall(r'"((?:Discharge|Charge|Rest|Hold|Run|Drive|Cycle)[^"\n]{0,120})"',
                            open(f, errors="replace").read()))
steps = sorted(steps)
for i in range(0, len(steps), 3):
    open(os.path.join(out, "experiment", f"s{i}"), "w").write("\0" + "\n".join(steps[i:i + 3]))
open(os.path.join(out, "experiment", "cycles"), "w").write(
    "\1Discharge at 1C until 3 V\nRest for 10 minutes\n--\nCharge at C/2 until 4.1 V\nHold at 4.1 V until 50 mA")

# JSON written inline in the tests (raw strings), sorted by kind
for f in glob.glob("examples/sweep*.json"):
    shutil.copy(f, os.path.join(out, "sweep"))
for f in glob.glob("solver/inputs/sets/*.json") + ["examples/chen2020_custom.json", "examples/lgm50_measured_ocp.json"]:
    shutil.copy(f, os.path.join(out, "parameter_file"))
shutil.copy(os.path.join(shared, "reference-data/bpx/nmc_pouch_cell_BPX.json"), os.path.join(out, "bpx"))
for f in sources:
    for i, m in enumerate(re.findall(r'R"\((\s*\{.*?)\)"', open(f, errors="replace").read(), re.S)):
        name = f"{os.path.basename(f)}_{i}"
        if '"vary"' in m or '"mesh"' in m or '"experiment"' in m:
            open(os.path.join(out, "sweep", name), "w").write(m)
        elif '"Header"' in m or "BPX" in m:
            open(os.path.join(out, "bpx", name), "w").write(m)
        elif '"ionflux' in m or '"version"' in m or "parameters" in m:
            open(os.path.join(out, "parameter_file", name), "w").write(m)
for h in sorted(os.listdir(out)):
    print(h, len(os.listdir(os.path.join(out, h))))
