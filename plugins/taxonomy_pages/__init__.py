"""Field pages `/fields/<field>/` and province pages `/provinces/<province>/`.

Both are taxonomies of the portal model and share one code path: a term, the
published items that name it (newest first), paginated with the `taxonomy`
template. Every registered term gets a page, even before it has items.
"""

from __future__ import annotations

from dataclasses import dataclass

from pelican import signals
from pelican.generators import Generator

from portal_model import Term, model_for


# The newest items of each field on the home page.
LATEST_PER_TERM = 3


@dataclass
class TermListing:
    """A term as templates see it: how many items it has and its newest, not all of them. A page
    that shows terms (the home page, and all its later pages, which read the same variables)
    then depends on those few items only: a new title elsewhere renders it again neither in a
    rebuild (plugins/incremental_writer) nor in a quick rebuild (plugins/quick_rebuild)."""

    term: Term
    count: int
    latest: list

    def __getattr__(self, name):
        # key, zh, en, url, description ... come from the term
        return getattr(self.term, name)


def members(registry, articles, attribute: str) -> dict[Term, list]:
    """Each term's items, in the order given."""
    # One pass over the items, not one per term: tens of thousands of items, eleven terms.
    members = {term: [] for term in registry}
    for article in articles:
        for term in getattr(article, attribute, ()):
            if term in members:
                members[term].append(article)
    return members


def listings(items: dict[Term, list]) -> list[TermListing]:
    return [TermListing(term, len(articles), articles[:LATEST_PER_TERM]) for term, articles in items.items()]


class TaxonomyPagesGenerator(Generator):
    """Collects field and province listings in generate_context, writes them in generate_output."""

    def generate_context(self):
        model = model_for(self.settings)
        articles = [a for a in self.context.get("articles", [])
                    if a.lang == self.settings.get("DEFAULT_LANG", "zh")]
        self.members = {"fields": members(model.fields, articles, "fields"),
                        "provinces": members(model.provinces, articles, "provinces")}
        self.taxonomies = {kind: listings(items) for kind, items in self.members.items()}
        self._update_context(("taxonomies",))
        self.context["field_listings"] = self.taxonomies["fields"]
        self.context["province_listings"] = self.taxonomies["provinces"]

    def generate_output(self, writer):
        template = self.get_template("taxonomy")
        for kind, terms in self.taxonomies.items():
            for listing in terms:
                writer.write_file(
                    f"{listing.url}index.html", template, self.context,
                    relative_urls=self.settings["RELATIVE_URLS"],
                    paginated={"articles": self.members[kind][listing.term]},
                    template_name="taxonomy", url=listing.url,
                    # Its count, not its listing: the listing's newest items are on page 1 only.
                    taxonomy=kind, term=listing.term, item_count=listing.count,
                )


def get_generators(pelican):
    return TaxonomyPagesGenerator


# Pelican's own taxonomies: attribute of ArticlesGenerator, its empty value, the settings that would write them.
PELICAN_TAXONOMIES = (("tags", dict, "TAG"), ("categories", list, "CATEGORY"), ("authors", list, "AUTHOR"))


def write_no_pelican_taxonomy_pages(generator) -> None:
    """Pelican's tag, category and author pages are not the portal's (their SAVE_AS are empty),
    yet Pelican works out each one's dated list before finding that out, comparing every item with
    every other: with the one author of all items, ~0.7 s at 10,000 items and four times that at
    20,000. The generator is given none to write; the context keeps them for templates."""
    settings = generator.settings
    for attribute, empty, setting in PELICAN_TAXONOMIES:
        if not (settings[f"{setting}_SAVE_AS"] or settings.get(f"{setting}_FEED_ATOM")
                or settings.get(f"{setting}_FEED_RSS")):
            setattr(generator, attribute, empty())


def register():
    signals.get_generators.connect(get_generators)
    signals.article_generator_finalized.connect(write_no_pelican_taxonomy_pages)
