"""Policy Markdown chunking: one chunk per section, stable ids, long sections split sensibly."""

from __future__ import annotations

import pytest

from retrieval.ingest.policies import MAX_CHARS, chunk_markdown, chunk_policies
from retrieval.types import InputFileError

RETURNS = """# Returns

You can return most items within 30 days.

## Refund timing

Refunds reach your card within 5 working days.

## Damaged items

```
# this is a code comment, not a heading
```
Tell us within 48 hours.

#### Photos
Send photos of the damage.
"""


def test_sections_become_chunks_with_file_section_and_path():
    chunks = chunk_markdown(RETURNS, "returns.md")
    assert [(c.chunk_id, c.section, c.heading_path) for c in chunks] == [
        ("returns.md#returns", "Returns", ["Returns"]),
        ("returns.md#refund-timing", "Refund timing", ["Returns", "Refund timing"]),
        ("returns.md#damaged-items", "Damaged items", ["Returns", "Damaged items"]),
    ]
    assert chunks[1].text == "Refund timing\n\nRefunds reach your card within 5 working days."
    assert "# this is a code comment" in chunks[2].text
    assert "Send photos of the damage." in chunks[2].text
    assert all(c.file == "returns.md" for c in chunks)


def test_long_sections_split_at_paragraphs_and_keep_the_title():
    paragraphs = [
        f"Paragraph {i}. " + "Refunds go back to the original card. " * 8 for i in range(6)
    ]
    text = "## Refund timing\n\n" + "\n\n".join(paragraphs)
    chunks = chunk_markdown(text, "returns.md")
    ids = [c.chunk_id for c in chunks]
    assert ids[:3] == [
        "returns.md#refund-timing",
        "returns.md#refund-timing-2",
        "returns.md#refund-timing-3",
    ]
    assert all(c.section == "Refund timing" for c in chunks)
    bodies = [c.text.removeprefix("Refund timing\n\n") for c in chunks]
    assert all(len(b) <= MAX_CHARS for b in bodies)
    assert all(b.startswith("Paragraph") for b in bodies)  # cut at paragraph starts
    assert "\n\n".join(bodies) == "\n\n".join(paragraphs).strip()


def test_one_huge_paragraph_is_cut_at_sentences():
    text = "# FAQ\n\n" + "This sentence is about delivery times. " * 60
    chunks = chunk_markdown(text, "faq.md")
    assert len(chunks) > 1
    assert all(c.text.removeprefix("FAQ\n\n").endswith("times.") for c in chunks)


def test_text_before_any_heading_and_repeated_titles_get_distinct_ids():
    text = (
        "Welcome to our policies.\n\n# Delivery\n## Costs\nFree over £50.\n"
        "# Returns\n## Costs\nReturns are free.\n"
    )
    chunks = chunk_markdown(text, "all.md")
    assert [c.chunk_id for c in chunks] == ["all.md#intro", "all.md#costs", "all.md#returns-costs"]
    assert chunks[0].section == "All"


def test_setext_headings_and_front_matter():
    text = (
        "---\ntitle: x\n---\nShipping\n========\nWe ship daily.\n\nTracking\n--------\nBy email.\n"
    )
    chunks = chunk_markdown(text, "ship.md")
    assert [(c.chunk_id, c.heading_path) for c in chunks] == [
        ("ship.md#shipping", ["Shipping"]),
        ("ship.md#tracking", ["Shipping", "Tracking"]),
    ]


def test_chunk_policies_reads_a_folder_and_rejects_undecodable_files(tmp_path):
    (tmp_path / "returns.md").write_text(RETURNS, encoding="utf-8")
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "delivery.md").write_text("# Delivery\nTwo days.\n", encoding="utf-8")
    (tmp_path / "broken.md").write_bytes(b"# Broken\n\xff\xfe caf\xe9\n")
    (tmp_path / "notes.txt").write_text("# Not markdown\nignored\n", encoding="utf-8")
    got = chunk_policies(tmp_path)
    assert got.read == 3
    assert [(r.line, r.reason.split(":")[0]) for r in got.rejects] == [(0, "broken.md")]
    assert "not UTF-8" in got.rejects[0].reason
    assert {c.file for c in got.chunks} == {"returns.md", "faq/delivery.md"}
    assert "faq/delivery.md#delivery" in {c.chunk_id for c in got.chunks}


def test_chunk_ids_are_stable_across_runs(tmp_path):
    (tmp_path / "returns.md").write_text(RETURNS, encoding="utf-8")
    first = [(c.chunk_id, c.text) for c in chunk_policies(tmp_path).chunks]
    assert first == [(c.chunk_id, c.text) for c in chunk_policies(tmp_path).chunks]


def test_empty_folder_missing_folder_and_no_markdown_are_input_errors(tmp_path):
    with pytest.raises(InputFileError, match="has no Markdown"):
        chunk_policies(tmp_path)
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputFileError, match="has no Markdown"):
        chunk_policies(tmp_path)
    with pytest.raises(InputFileError, match="not found"):
        chunk_policies(tmp_path / "missing")


def test_a_single_markdown_file_can_be_given(tmp_path):
    path = tmp_path / "returns.md"
    path.write_text(RETURNS, encoding="utf-8")
    assert len(chunk_policies(path).chunks) == 3
