#!/usr/bin/env python3
"""Seed corpora for the fuzzers (docs/reliability.md): python3 tests/fuzz/make_seeds.py OUT [SHARED]

Writes OUT/<harness>/ from the repository's examples, shipped sets, tests and docs, and the
shared reference data's BPX file (SHARED defaults to ../shared next to the repository).
Run from the repository root.
"""
import glob
import json
import os
import random
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

# and random expressions from a small grammar (a fixed seed), built from the forms the
# batched interpreter treats specially (kernels/model/expression.hpp: an argument combined
# with a constant or a uniform value, a Gaussian's -((x - m)^2) / w, -(a) * c, powers and
# regularised powers, exp/tanh groups), so that the harness's batch-vs-pointwise check
# starts from inputs that reach them; first byte 0x3F (every variable, plain) or 0xBF
# (also regularised powers)
rng = random.Random(16)
names = ["sto", "c_e", "c_s_surf", "c_s_max", "T", "eps"]
def const():
    return rng.choice(["0", "1", "2", "0.5", "-3", "1e-3", "2.5e2", "298.15", "8.314", "1.5", "0.016", "1000"])
def leaf():
    return rng.choice(names) if rng.random() < 0.6 else const()
def gen(d):
    if d <= 0:
        return leaf()
    a, b, x = gen(d - 1), gen(d - 1), rng.choice(names)
    forms = [
        lambda: f"{rng.choice(['exp', 'log', 'sqrt', 'tanh', 'cosh', 'sinh', 'abs'])}({a})",
        lambda: f"{rng.choice(['min', 'max'])}({a}, {b})",
        lambda: f"-(({x} - {const()})^2) / {const()}",                # a Gaussian
        lambda: f"{const()} * tanh(({x} - {const()}) / {const()})",   # an OCP fit's term
        lambda: f"({a})^{rng.choice(['0.5', '1.5', '2', '3', '-1', '0.25', '2.2'])}",
        lambda: f"-({a}) {rng.choice(['*', '/'])} {const()}",
        lambda: f"exp({const()} / 8.314 * (1 / 298.15 - 1 / T))",     # an Arrhenius factor
    ]
    k = rng.randrange(12)
    return forms[k]() if k < len(forms) else f"({a}) {rng.choice(['+', '-', '*', '/'])} ({b})"
for i in range(400):
    flag = 0x3F if i % 2 == 0 else 0xBF
    open(os.path.join(out, "expression", f"g{i}"), "wb").write(bytes([flag]) + gen(1 + i % 4).encode())

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
