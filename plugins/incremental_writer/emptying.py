"""The old output deleted beside the build, not before it.

Pelican empties the output folder (DELETE_OUTPUT_DIRECTORY: `invoke build`, every
publication) file by file before it reads anything: ~35,000 files at 10,000 items,
a fifth of a build whose pages all come from the cache. Here the folder's entries
are moved aside, a rename each, into a hidden folder beside it (the same file
system), and a process of its own deletes them while the build goes on, on the
other core; the build waits for it when it is finalized. Pelican then finds the
folder empty but for what OUTPUT_RETENTION keeps.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import tempfile

# Removals still running, by the settings of the build that started them.
_removals: dict[int, subprocess.Popen] = {}


def aside_prefix(output: str) -> str:
    return f".{os.path.basename(output)}-deleted-"


def start_emptying(pelican) -> None:
    """Receiver of get_generators, sent once the content check passed and just before Pelican
    empties the output itself. Returns no generator."""
    output = os.path.realpath(pelican.output_path)
    source = os.path.realpath(pelican.path)
    # Pelican's own condition: never empty a folder that holds the content; nor set the old
    # output aside in a folder that Pelican reads (it would be read, with IGNORE_FILES as ours).
    if (not (pelican.delete_outputdir and os.path.isdir(output))
            or os.path.commonpath([output, source]) in (output, source)):
        return
    parent = os.path.dirname(output)
    try:
        aside = tempfile.mkdtemp(prefix=aside_prefix(output), dir=parent)
    except OSError:
        return  # a folder we may not write beside: Pelican deletes the output itself, as usual
    try:
        for name in os.listdir(output):
            if name not in pelican.output_retention:
                os.rename(os.path.join(output, name), os.path.join(aside, name))
    except OSError:
        pass  # the output is a mount point, say: Pelican deletes what is left, as usual
    # With what a build that was stopped left aside.
    folders = glob.glob(os.path.join(glob.escape(parent), glob.escape(aside_prefix(output)) + "*"))
    _removals[id(pelican.settings)] = subprocess.Popen(
        [sys.executable, "-c", "import shutil, sys\nfor folder in sys.argv[1:]: shutil.rmtree(folder, True)",
         *folders], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for_emptying(pelican) -> None:
    removal = _removals.pop(id(pelican.settings), None)
    if removal is not None:
        removal.wait()
    # Those of builds that failed before the end (a preview retrying) are done by now, or soon.
    for settings, earlier in list(_removals.items()):
        if earlier.poll() is not None:
            del _removals[settings]
