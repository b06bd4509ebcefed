"""One Chinese index for both scripts: the Traditional edition searches the simplified one.

Why: Pagefind costs about 2.3 ms of CPU a page with our one-character-per-word
Chinese, more than the rest of a page's build; a second Chinese index, of pages
that are the first ones converted by OpenCC (plugins/editions), would double the
dearest part of the build for words that are the same words in the other script
(issue 8 caps the three editions with their search at twice the simplified edition).

How, in the browser (theme/static/js/search.js):
- a query's Traditional characters are turned into simplified ones with the
  `t2s` table (OpenCC's t2s, one character at a time), on every edition: a reader
  typing 長三角 on either edition finds what 长三角 finds;
- on the Traditional edition, results link to the Traditional pages (the same path
  under the edition's folder), and titles, tags and excerpts are shown in Traditional
  characters: each character in OpenCC's default Traditional form (the `s2t` table),
  corrected by the page's own `fixes`. Those are the places where OpenCC, converting
  the whole page with its phrases, chose another form (复制 → 複製, where the
  character alone gives 復). They are worked out with the edition's own OpenCC
  conversion of the page's text, so the reader sees the text of the page the result
  opens (a test compares them with the Traditional pages).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re

import opencc

# The Han ranges of js/search.js: unified ideographs, extension A, compatibility, extensions B-F.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
HAN_RUN = re.compile(f"[{HAN}]+")
# The characters the tables cover: the Basic Multilingual Plane's Han (OpenCC's tables hardly
# reach further, and js/search.js converts UTF-16 units).
TABLE_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
# Where, and from what context, the Traditional page differs from the default form of a character.
FIXES_META = "fixes"


@functools.cache
def character_tables() -> dict[str, list[str]]:
    """{"t2s": [from, to], "s2t": [from, to]}: every character OpenCC changes on its own, and into what."""
    characters = [chr(code) for start, end in TABLE_RANGES for code in range(start, end + 1)]
    tables = {}
    for conversion in ("t2s", "s2t"):
        converted = opencc.OpenCC(conversion).convert("\n".join(characters)).split("\n")
        pairs = [(character, into) for character, into in zip(characters, converted, strict=True)
                 if into != character and len(into) == 1 and into <= "\uffff"]
        tables[conversion] = ["".join(character for character, _ in pairs), "".join(into for _, into in pairs)]
    return tables


def tables_file() -> tuple[str, str]:
    """The tables as the browser fetches them: (file name with its digest, JSON text)."""
    text = json.dumps(character_tables(), ensure_ascii=False, separators=(",", ":"))
    return f"characters.{hashlib.sha256(text.encode()).hexdigest()[:12]}.json", text


@functools.cache
def default_traditional() -> dict[int, str]:
    """The s2t table for str.translate."""
    return str.maketrans(dict(zip(*character_tables()["s2t"], strict=True)))


def fixes(simplified: str, traditional: str) -> list[list[str]]:
    """[[simplified context, Traditional context], ...] wherever the Traditional text is not
    the default form of each character; the context is the character and its neighbours
    within its run of Han characters. The texts are compared run by run (links and other
    non-Han text may differ in length between the two pages)."""
    expected_text = simplified.translate(default_traditional())  # Han stays Han: the same runs
    found: dict[str, str] = {}
    runs = zip(HAN_RUN.findall(simplified), HAN_RUN.findall(expected_text), HAN_RUN.findall(traditional))
    for run, expected, converted in runs:
        if expected == converted or len(run) != len(converted):
            continue
        for at, character in enumerate(expected):
            if converted[at] != character:
                context = slice(max(0, at - 1), at + 2)
                found.setdefault(run[context], converted[context])
    return [[context, into] for context, into in found.items()]
