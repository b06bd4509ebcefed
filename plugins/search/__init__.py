"""Site search: the `/search/` page, a search box for the header, and a Pagefind index.

Pagefind (`pagefind[extended]`, whose binary segments Chinese words) reads the
finished HTML and writes a static index to `/pagefind/`; the search page queries
it in the browser with `pagefind.js`, served from the site itself. Only the
regions the theme marks `data-pagefind-body` (news items, standing pages) are
indexed, so pages that are never written (drafts, future items) cannot be found.
Chinese is indexed character by character: see indexing.py for why.

Each language (`zh-cn`, `en`, the pages' `<html lang>`) gets its own index, which the
Traditional edition (`zh-hant`, the simplified pages converted) searches through the
simplified one (scripts.py). An index is made of shards of at most SEARCH_SHARD_SIZE pages, each a Pagefind bundle of its own
(shards.py), which the search page merges.

The index is written by a process of its own (build.IndexRun). plugins/editions starts
it as soon as the simplified edition is written ("root_edition_written"), so that it
indexes while the other editions are made; it takes their pages, and finishes, at the
"sitemap" signal of pelican-granular-signals, which is sent after every `finalized`
receiver has run (and before its "compress" signal, so precompress also compresses
the bundles). Without plugins/editions it starts there.
"""


def register():
    # Pelican is imported only here, when a build loads the plugin: the index process
    # (`python -m search.indexing`) imports this package too, and starts ~0.2 s sooner without it.
    from .build import register as connect_signals

    connect_signals()
