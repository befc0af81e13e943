"""The bench report turns the tables the scripts print into plots."""

from __future__ import annotations

from assistant.cli.bench import parse_tables, plot_table

OUTPUT = """backend vllm, 24 turns
| what | p50 ms | p95 ms |
|---|---|---|
| baseline: raw LLM first token | 177.28 | 725.45 |
| ShopAssist ttft_shown | 2190.95 | 3063.05 |
mean total 4.83 s
"""


def test_tables_are_parsed_and_plotted(tmp_path):
    tables = parse_tables(OUTPUT)
    assert tables == [[["what", "p50 ms", "p95 ms"], ["baseline: raw LLM first token", "177.28", "725.45"],
                       ["ShopAssist ttft_shown", "2190.95", "3063.05"]]]  # fmt: skip
    assert plot_table(tables[0], tmp_path / "t.png", "turn")
    assert (tmp_path / "t.png").stat().st_size > 5000
    assert not plot_table([["a", "b"], ["x", "n/a"]], tmp_path / "u.png", "none")
