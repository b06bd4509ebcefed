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


@dataclass
class TermListing:
    """A term with its items, as templates see it."""

    term: Term
    articles: list

    def __getattr__(self, name):
        # key, zh, en, url, description ... come from the term
        return getattr(self.term, name)


def listings(registry, articles, attribute: str) -> list[TermListing]:
    # One pass over the items, not one per term: tens of thousands of items, eleven terms.
    members = {term: [] for term in registry}
    for article in articles:
        for term in getattr(article, attribute, ()):
            if term in members:
                members[term].append(article)
    return [TermListing(term, members[term]) for term in registry]


class TaxonomyPagesGenerator(Generator):
    """Collects field and province listings in generate_context, writes them in generate_output."""

    def generate_context(self):
        model = model_for(self.settings)
        articles = [a for a in self.context.get("articles", [])
                    if a.lang == self.settings.get("DEFAULT_LANG", "zh")]
        self.taxonomies = {
            "fields": listings(model.fields, articles, "fields"),
            "provinces": listings(model.provinces, articles, "provinces"),
        }
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
                    paginated={"articles": listing.articles},
                    template_name="taxonomy", url=listing.url,
                    taxonomy=kind, listing=listing, term=listing.term,
                )


def get_generators(pelican):
    return TaxonomyPagesGenerator


def register():
    signals.get_generators.connect(get_generators)
