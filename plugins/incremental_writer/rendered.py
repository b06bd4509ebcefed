"""Rendered pages kept by their key, so that an emptied output is filled again without rendering.

`invoke build` and every publication start from an empty output folder
(DELETE_OUTPUT_DIRECTORY): without this, each of them rendered every page again
although the keys said nothing had changed. A page is kept under a digest of its
name and key, as a second name of the file in the output (a hard link: no copy,
no second copy on disk); a build whose page has the same key links it back.
Entries the build did not use are removed at its end, so the folder holds one
site's worth.
"""

from __future__ import annotations

import hashlib
import os

from portal_model import link_or_copy, remove_all_but


class RenderedPages:
    def __init__(self, folder: str):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    def kept(self, name: str, key: str) -> str:
        return os.path.join(self.folder, hashlib.blake2b(f"{name}\0{key}".encode(), digest_size=20).hexdigest())

    def restore(self, name: str, key: str, path: str) -> bool:
        """Put the page kept under `key` at `path`; False when there is none."""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            link_or_copy(self.kept(name, key), path)
        except FileNotFoundError:
            return False
        return True

    def keep(self, name: str, key: str, path: str) -> None:
        """Keep the page just written at `path` under `key`."""
        link_or_copy(path, self.kept(name, key))

    def forget_all_but(self, pages: dict[str, str | None]) -> None:
        """Remove every entry but those of `pages` ({name: key}) as they are now."""
        remove_all_but(self.folder, {os.path.basename(self.kept(name, key))
                                     for name, key in pages.items() if key is not None})
