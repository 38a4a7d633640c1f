"""Builders for coalition tests."""

import itertools

from coalition.models import Member

_counter = itertools.count(1)


def make_member(**overrides):
    n = next(_counter)
    fields = {
        "name": f"Member {n}",
        "slug": f"member-{n}",
        "kind": Member.Kind.ORGANISATION,
        "is_published": True,
        "ordering": n,
    }
    fields.update(overrides)
    return Member.objects.create(**fields)
