"""`python -m editions.converting '{"output": ..., "rewriter": {...}, "cache_folder": ..., "changes": ...,
"same_files": ..., "when_told": ...}'`: the Traditional edition written by a process of its own
(traditional.TraditionalRun says why). Prints the Outcome as JSON, or, if it fails, one line saying why.
With `when_told`, it loads what it needs, then converts once a line of JSON comes on its input
(`{"changes": ...}` if they were not known at its start); if its input closes first, it does nothing.

A module of its own: run as `-m editions.traditional`, that module, already imported by the
package, would be run a second time.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

from .traditional import rewriter_from, write_traditional


def told() -> dict | None:
    """The line on the input, once it comes; None if the input closes without one."""
    line = sys.stdin.readline()
    return json.loads(line) if line else None


def main(arguments: str) -> int:
    options = json.loads(arguments)
    rewriter = rewriter_from(options["rewriter"])
    try:
        # The top folders that are no edition's (theme assets, images, the other editions) stay as they are.
        outcome = write_traditional(options["output"], rewriter, set(rewriter.shared), options["cache_folder"],
                                    options.get("same_files", False), options.get("changes"),
                                    told=told if options.get("when_told") else None)
    except OSError as failure:  # a full disk, a folder it may not write: the editor's to mend
        print(f"{failure.strerror}: {failure.filename}", file=sys.stderr)
        return 1
    if outcome is None:  # never told: the preview made a full build instead
        return 0
    print(json.dumps(asdict(outcome)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
