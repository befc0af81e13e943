"""`shopassist bench`: run the benchmark scripts and write one markdown report with plots.

The scripts live in `benchmarks/` of a source checkout (they print figures side by side with a
baseline); this command runs them, keeps their output, and turns every markdown table they print
into a bar chart.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import typer

from assistant.cli.common import fail

REPO = Path(__file__).resolve().parents[2]
SUITES = {  # name -> (script, arguments)
    "search": ("search_bench.py", []),
    "ingest": ("ingest_bench.py", []),
    "llm": ("llm_bench.py", []),
    "turn": ("turn_bench.py", []),
    "serve": ("serve_bench.py", []),
    "recs": ("recs_bench.py", [str(REPO.parent / "shared" / "data" / "amazon_games")]),
}


def register(app: typer.Typer) -> None:
    app.command()(bench)


def parse_tables(text: str) -> list[list[list[str]]]:
    """Markdown tables in a script's output, as rows of cells (header first)."""
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|") and line.endswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not all(set(c) <= {"-", ":"} for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def plot_table(table: list[list[str]], path: Path, title: str) -> bool:
    """A grouped bar chart of the table's numeric columns; False when nothing is numeric."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    header, rows = table[0], table[1:]
    numeric = []
    for j in range(1, len(header)):
        try:
            numeric.append((header[j], [float(r[j]) for r in rows]))
        except (ValueError, IndexError):
            continue
    if not rows or not numeric:
        return False
    fig, axes = plt.subplots(1, len(numeric), figsize=(4 * len(numeric), 3.2), squeeze=False)
    for ax, (name, values) in zip(axes[0], numeric, strict=True):
        ax.barh([r[0][:28] for r in rows], values, color="#e8772e")
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def bench(
    out: Path = typer.Option(Path("bench-report"), help="Folder for report.md and the plots."),
    only: list[str] = typer.Option(
        None, "--only", help=f"Run only these suites: {', '.join(SUITES)}."
    ),
    timeout_s: int = typer.Option(1800, help="Per-suite time limit."),
) -> None:
    """Run the benchmarks and write `OUT/report.md` with a plot per printed table."""
    bdir = REPO / "benchmarks"
    if not bdir.exists():
        fail("benchmarks/ not found: run `shopassist bench` from a source checkout")
    unknown = set(only or ()) - set(SUITES)
    if unknown:
        fail(f"unknown suites {sorted(unknown)}; choose from {', '.join(SUITES)}")
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# ShopAssist benchmark report",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on this machine.",
        "",
    ]
    for name, (script, args) in SUITES.items():
        if only and name not in only:
            continue
        typer.echo(f"running {script}…", err=True)
        t0 = time.perf_counter()
        try:
            run = subprocess.run([sys.executable, str(bdir / script), *args], capture_output=True,
                                 text=True, timeout=timeout_s, cwd=REPO)  # fmt: skip
            output, status = (
                run.stdout,
                "ok" if run.returncode == 0 else f"failed ({run.returncode})",
            )
            if run.returncode:
                output += "\n" + run.stderr[-2000:]
        except subprocess.TimeoutExpired:
            output, status = "", f"timed out after {timeout_s} s"
        lines += [f"## {name}", "", f"`python benchmarks/{script} {' '.join(args)}` — {status}, "
                  f"{time.perf_counter() - t0:.0f} s", "", "```", output.strip(), "```", ""]  # fmt: skip
        for i, table in enumerate(parse_tables(output)):
            png = out / f"{name}-{i + 1}.png"
            if plot_table(table, png, f"{name} benchmark"):
                lines += [f"![{name} {i + 1}]({png.name})", ""]
    (out / "report.md").write_text("\n".join(lines))
    typer.echo(f"wrote {out / 'report.md'}", err=True)
