#!/usr/bin/env python3
"""Execute the example notebooks in examples/ and fail on the first error in any of them.

Usage
-----
    python3 tests/python/run_notebooks.py                  # every examples/*.ipynb
    python3 tests/python/run_notebooks.py 01_quickstart    # some of them (name, file or path)
    python3 tests/python/run_notebooks.py --list           # list them and exit

Each notebook runs in a fresh Jupyter kernel with examples/ as its working directory,
the way a reader would run it. Notebooks are never modified; ``--output-dir DIR`` writes
the executed copies (with outputs) to DIR for inspection.

Exit status: 0 if every notebook ran without error, 1 if any failed (the notebook, the
cell and the traceback are printed), 2 for bad arguments.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def find_notebooks(names: list[str]) -> list[Path]:
    """Resolve notebook names (``01_quickstart``, ``01_quickstart.ipynb`` or a path)."""
    available = sorted(EXAMPLES.glob("*.ipynb"))
    if not names:
        return available
    chosen = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb" and path.is_file():
            chosen.append(path.resolve())
            continue
        stem = path.name[: -len(".ipynb")] if path.name.endswith(".ipynb") else path.name
        matches = [p for p in available if p.stem == stem] or [
            p for p in available if p.stem.startswith(stem)
        ]
        if len(matches) != 1:
            known = ", ".join(p.stem for p in available) or "none"
            what = "matches several notebooks" if matches else "is not a notebook"
            print(f"error: '{name}' {what} in {EXAMPLES} (known: {known})", file=sys.stderr)
            raise SystemExit(2)
        chosen.append(matches[0])
    return chosen


def ensure_kernel(name: str) -> tempfile.TemporaryDirectory | None:
    """Make sure a kernel spec called ``name`` exists.

    If it does not, write a temporary one that runs this interpreter with ipykernel and
    put it on JUPYTER_PATH (nothing is installed into the user's Jupyter directories).
    Returns the temporary directory, to keep it alive while the notebooks run.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
        print(f"kernel '{name}': {' '.join(spec.argv[:3])} ...")
        return None
    except NoSuchKernel:
        pass
    try:
        import ipykernel  # noqa: F401
    except ImportError:
        raise SystemExit(
            f"error: no Jupyter kernel '{name}' and ipykernel is not installed "
            f"(pip install ipykernel)"
        )
    tmp = tempfile.TemporaryDirectory(prefix="ionflux-kernels-")
    kernel_dir = Path(tmp.name) / "kernels" / name
    kernel_dir.mkdir(parents=True)
    (kernel_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": f"Python 3 ({sys.executable})",
                "language": "python",
            }
        )
    )
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [tmp.name] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    )
    print(f"kernel '{name}': not installed; using a temporary spec for {sys.executable}")
    return tmp


def describe_failure(nb, exc: BaseException) -> str:
    """Which cell failed, its source, and the traceback, as plain text."""
    lines = []
    failed = None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                failed = (index, cell, output)
    if failed is not None:
        index, cell, output = failed
        code_number = sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")
        lines.append(f"  cell {index} (code cell {code_number}, id {cell.get('id', '?')}):")
        lines += ["    | " + line for line in cell.source.splitlines()]
        lines.append("")
        lines += [ANSI.sub("", line) for line in output.get("traceback", [])]
        if not output.get("traceback"):
            lines.append(f"{output.get('ename')}: {output.get('evalue')}")
    else:
        # A timeout or a dead kernel leaves no error output: report the exception itself.
        lines.append(ANSI.sub("", "".join(traceback.format_exception_only(type(exc), exc))))
    return "\n".join(lines)


def run_notebook(path: Path, kernel: str, timeout: int, output_dir: Path | None) -> tuple[bool, float]:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel,
        resources={"metadata": {"path": str(EXAMPLES)}},
    )
    print(f"--- {path.name} ...", flush=True)
    start = time.perf_counter()
    ok = True
    try:
        client.execute()
    except Exception as exc:  # CellExecutionError, CellTimeoutError, DeadKernelError, ...
        ok = False
        elapsed = time.perf_counter() - start
        print(f"FAILED {path.name} after {elapsed:.1f} s")
        print(describe_failure(nb, exc))
    elapsed = time.perf_counter() - start
    if ok:
        print(f"ok     {path.name} in {elapsed:.1f} s", flush=True)
    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, output_dir / path.name)
    return ok, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Execute the example notebooks (examples/*.ipynb) and fail on any error."
    )
    parser.add_argument("notebooks", nargs="*",
                        help="notebooks to run: name (01_quickstart), file name or path; default all")
    parser.add_argument("--list", action="store_true", help="list the notebooks and exit")
    parser.add_argument("--timeout", type=int, default=600,
                        help="time limit per cell [s] (default 600)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="write the executed notebooks (with outputs) to this directory")
    args = parser.parse_args(argv)

    notebooks = find_notebooks(args.notebooks)
    if args.list:
        for path in notebooks:
            print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
        return 0
    if not notebooks:
        print(f"error: no notebooks in {EXAMPLES}", file=sys.stderr)
        return 1

    missing = [m for m in ("nbclient", "nbformat", "ipykernel") if not _importable(m)]
    if missing:
        print(f"error: missing Python packages: {', '.join(missing)} "
              f"(pip install {' '.join(missing)})", file=sys.stderr)
        return 1
    keep_alive = ensure_kernel(args.kernel)  # noqa: F841 (the directory must outlive the runs)

    results = []
    total_start = time.perf_counter()
    for path in notebooks:
        results.append((path.name, *run_notebook(path, args.kernel, args.timeout, args.output_dir)))
    total = time.perf_counter() - total_start

    print("\nnotebook                              result   time [s]")
    for name, ok, elapsed in results:
        print(f"{name:38s}{'ok' if ok else 'FAILED':8s}{elapsed:9.1f}")
    failed = [name for name, ok, _ in results if not ok]
    print(f"{len(results) - len(failed)} of {len(results)} notebooks ran without error "
          f"in {total:.1f} s")
    if failed:
        print("failed: " + ", ".join(failed))
        return 1
    return 0


def _importable(module: str) -> bool:
    try:
        __import__(module)
        return True
    except ImportError:
        return False


if __name__ == "__main__":
    sys.exit(main())
