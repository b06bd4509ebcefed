"""Building the Pagefind index, with Chinese text indexed character by character.

Why characters: Pagefind segments Chinese pages with jieba when it indexes, but
the browser segments the reader's query with its own dictionary (Intl.Segmenter),
which splits words it does not know, such as 一网通办, into single characters.
The two never meet, and such a search finds nothing. So every Han character is
indexed as a word of its own, and js/search.js searches a Chinese keyword as an
exact phrase of characters: a page is found when it contains the keyword as
written, the way Chinese readers expect of a search box. Pagefind still ranks
the results (title and headings first).

The characters are set apart with U+3000 (ideographic space: a word separator
to Pagefind, and rare in running text) in a temporary copy of the pages; the
site's own pages are never changed. The browser removes U+3000 from titles and
excerpts before showing them (js/search.js), so the reader sees the text as
written, the author's own spaces included.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# The Han ranges of js/search.js: unified ideographs, extension A, compatibility, extensions B-F.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
HAN_RUN = re.compile(f"[{HAN}]+")
SEPARATOR = "\u3000"
INDEXED_MARK = "data-pagefind-body"
BUNDLE_FOLDER = "pagefind"


def spaced_text(text: str) -> str:
    """`G60科创` -> `G60␣科␣创␣` (␣ is U+3000): every Han character a word of its own."""
    return HAN_RUN.sub(lambda run: SEPARATOR + SEPARATOR.join(run[0]) + SEPARATOR, text)


def copy_for_index(site: Path, copy: Path) -> int:
    """Copy the pages Pagefind will index (those with a marked region), spaced; return how many."""
    count = 0
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        if INDEXED_MARK not in html:
            continue
        target = copy / page.relative_to(site)
        target.parent.mkdir(parents=True, exist_ok=True)
        # The whole file at once, which is fast: Han characters are only in text and in
        # attribute values, and Pagefind reads no attribute the spacing could break (the
        # result URL comes from the file's path; meta and filters are compared spaced).
        target.write_text(spaced_text(html), encoding="utf-8")
        count += 1
    return count


def write_index(site: Path) -> dict[str, int]:
    """Index the pages under `site` into `site/pagefind/`; return the pages indexed per language."""
    bundle = site / BUNDLE_FOLDER
    # A fresh bundle: index files are named by their hash and would pile up over rebuilds.
    shutil.rmtree(bundle, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="search-") as copy:
        copy_for_index(site, Path(copy))
        # Pagefind's command line, which returns once every file is written. (Its Python API
        # stops the indexing service as soon as it answers, and under load it once left an
        # empty pagefind-entry.json behind.)
        run = subprocess.run(
            [sys.executable, "-m", "pagefind", "--site", copy, "--output-path", str(bundle)],
            capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"站内搜索的索引没有建成(search index failed):\n{run.stdout}{run.stderr}")
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    return {lang: language["page_count"] for lang, language in entry["languages"].items()}
