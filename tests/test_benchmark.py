"""The build benchmark's smoke run, and cached rebuilds that must equal a full build.

Nothing here is timed: the benchmark's figures are for `invoke bench`, not for CI.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sitebuild import tree_differences
from benchmark import (
    PHASES, PREVIEW, PREVIEW_SEARCH, benchmark, edit_item, editions_budget, failures, format_budget, format_table,
    generate_corpus, measure, side_commands,
)

ARTICLES = 30
EDIT_NOTE = "本文已根据有关部门通报更新"


def test_smoke_run_prints_every_phase_for_both_sides(tmp_path):
    results = benchmark(ARTICLES, tmp_path)

    assert failures(results) == []
    rows = format_table(results, ARTICLES).splitlines()[2:]
    assert [row[:26].strip() for row in rows] == [*PHASES, PREVIEW, PREVIEW_SEARCH]
    assert all("FAILED" not in row for row in rows)
    assert all("—" not in row for row in rows[:-1])  # stock Pelican has no search index to wait for
    # The rebuilds after the edit show it: the cache did not serve a stale item.
    for output in ("output-portal", "output-portal-preview", "output-stock-preview"):
        edited = [page for page in (tmp_path / output / "news").rglob("index.html")
                  if EDIT_NOTE in page.read_text(encoding="utf-8")]
        assert len(edited) == 1, output
    # The last rebuilds published the added item, on both sides.
    for output in ("output-portal", "output-stock"):
        assert (tmp_path / output / "news/2026/added-by-benchmark/index.html").exists(), output
    assert not (tmp_path / "content/news/added-by-benchmark.md").exists()


def test_synthetic_corpus_builds_every_item_field_and_province(tmp_path):
    items = generate_corpus(tmp_path / "content", ARTICLES)
    command, output, _ = side_commands("portal", tmp_path, tmp_path / "content")

    run = measure(command, tmp_path, tmp_path / "build.log")

    assert run.ok, run.log
    chinese_pages = [p for p in (output / "news").rglob("index.html")]
    assert len(chinese_pages) == len(items)
    for kind in ("fields", "provinces"):
        listed = [p for p in (output / kind).glob("*/index.html") if "news/" in p.read_text(encoding="utf-8")]
        assert len(listed) == {"fields": 7, "provinces": 4}[kind]


def test_cached_rebuild_after_an_edit_equals_a_plain_full_build(tmp_path):
    """Parsed in worker processes, then served from the content cache: the same bytes as a plain build."""
    items = generate_corpus(tmp_path / "content", ARTICLES)
    parallel, output, cache = side_commands("portal", tmp_path, tmp_path / "content", "PARALLEL_READING_MIN_FILES=1")
    assert measure(parallel, tmp_path, tmp_path / "first.log").ok
    edit_item(items[len(items) // 2])
    rebuilt = measure(parallel, tmp_path, tmp_path / "rebuild.log")
    assert rebuilt.ok, rebuilt.log
    shutil.move(output, tmp_path / "rebuilt")
    shutil.rmtree(cache)
    plain, _, _ = side_commands("portal", tmp_path, tmp_path / "content",
                                "CACHE_CONTENT=false", "PARALLEL_READING_MIN_FILES=1000000")

    clean = measure(plain, tmp_path, tmp_path / "clean.log")

    assert clean.ok, clean.log
    assert not cache.exists()
    assert tree_differences(tmp_path / "rebuilt", output) == []


def shard_files(output: Path) -> dict[Path, int]:
    """The files of the index's shards (pagefind/<lang>/<period>/…) and their inodes."""
    return {path.relative_to(output): path.stat().st_ino for path in (output / "pagefind").glob("*/*/**/*")
            if path.is_file()}


def test_a_build_into_an_emptied_output_from_the_cache_equals_a_plain_full_build(tmp_path):
    """invoke build and publications empty the output first: pages, editions and index come from the cache."""
    generate_corpus(tmp_path / "content", ARTICLES)
    cached, output, cache = side_commands("portal", tmp_path, tmp_path / "content")
    assert measure(cached, tmp_path, tmp_path / "first.log").ok
    first_index = shard_files(output)
    assert len(first_index) > 10
    emptied = measure([*cached, "--delete-output-directory"], tmp_path, tmp_path / "emptied.log")
    assert emptied.ok, emptied.log
    # The first build's very files (inodes), linked back: the pages, their Traditional pages, the index.
    pages = [page for page in output.rglob("news/*/*/index.html") if page.stat().st_nlink < 2]
    assert pages == [], "pages rendered again instead of taken from the cache"
    assert shard_files(output) == first_index
    shutil.move(output, tmp_path / "emptied")
    shutil.rmtree(cache)
    plain, _, _ = side_commands("portal", tmp_path, tmp_path / "content", "CACHE_CONTENT=false")

    clean = measure(plain, tmp_path, tmp_path / "clean.log")

    assert clean.ok, clean.log
    assert tree_differences(tmp_path / "emptied", output) == []


def test_editions_budget_builds_zh_hans_alone_then_more(tmp_path):
    results = editions_budget(ARTICLES, tmp_path)

    assert all(run.ok for run in results.values()), [run.log[-2000:] for run in results.values()]
    last = tmp_path / "output-portal"  # the last build: three editions and the index
    assert (last / "zh-hant" / "index.html").exists() and (last / "en" / "index.html").exists()
    table = format_budget(results, ARTICLES).splitlines()
    assert [row[:22].strip() for row in table[2:]] == list(results)
