"""Builders for testimonies tests."""

import datetime
import itertools

from testimonies.models import Passage, Testimony, Topic

_counter = itertools.count(1)

CONSENT = {
    "consent_basis": Testimony.ConsentBasis.PUBLIC,
    "consent_date": datetime.date(2011, 12, 9),
    "consent_scope": "Testimony given in public, as reported in the source.",
}


def make_topic(**overrides):
    n = next(_counter)
    fields = {"name": f"Topic {n}", "slug": f"topic-{n}"}
    fields.update(overrides)
    return Topic.objects.create(**fields)


def make_testimony(*, topics=(), **overrides):
    """A published testimony with a consent record, unless overridden."""
    n = next(_counter)
    fields = {
        "name": f"Survivor {n}",
        "slug": f"survivor-{n}",
        "summary": f"Summary of testimony {n}.",
        "is_published": True,
        "ordering": n,
        **CONSENT,
    }
    fields.update(overrides)
    testimony = Testimony.objects.create(**fields)
    testimony.topics.set(topics)
    return testimony


def make_passage(testimony, **overrides):
    fields = {"position": 1, "text": "A passage.", "is_graphic": False, "warning": ""}
    fields.update(overrides)
    return Passage.objects.create(testimony=testimony, **fields)
