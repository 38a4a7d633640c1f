"""Builders for campaign content in tests (appeals, milestones, statements, contact…)."""

import datetime
import itertools

from campaign.models import Appeal, Campaign, Contact, Demand, KeyFact, Milestone, Statement
from coalition.tests.factories import make_member
from petitions.models import Petition
from testimonies.tests.factories import make_testimony

_seq = itertools.count(1)


def make_campaign(**overrides):
    fields = {
        "name": "International Coalition to Stop Crimes Against Humanity in North Korea",
        "short_name": "ICNK",
        "objective": "To hold the North Korean government accountable; a UN Commission of Inquiry.",
        "is_current": True,
    } | overrides
    return Campaign.objects.create(**fields)


def make_key_fact(campaign, **overrides):
    n = next(_seq)
    fields = {"campaign": campaign, "position": n, "figure": f"{n},000", "label": f"fact number {n}"}
    return KeyFact.objects.create(**fields | overrides)


def make_appeal(demands=0, **overrides):
    n = next(_seq)
    fields = {
        "title": f"Appeal {n}",
        "slug": f"appeal-{n}",
        "issuer": "The International Coalition",
        "addressee": "Kim Jong-il",
        "date": datetime.date(2011, 10, 1),
        "date_precision": "month",
        "is_published": True,
        "ordering": n,
    } | overrides
    appeal = Appeal.objects.create(**fields)
    for position in range(1, demands + 1):
        Demand.objects.create(appeal=appeal, position=position, text=f"Demand {position} of appeal {n}")
    return appeal


def make_milestone(**overrides):
    n = next(_seq)
    fields = {
        "title": f"Milestone {n}",
        "slug": f"milestone-{n}",
        "date": datetime.date(2011, 9, 9),
        "place": "Tokyo",
        "description": "Something happened.",
        "is_published": True,
    } | overrides
    return Milestone.objects.create(**fields)


def make_statement(**overrides):
    n = next(_seq)
    fields = {
        "title": f"Statement {n}",
        "slug": f"statement-{n}",
        "author": "Willy Fautré",
        "organisation": "Human Rights Without Frontiers Int'l",
        "date": datetime.date(2011, 12, 9),
        "place": "Houses of Parliament, London",
        "occasion": "Commemorating Human Rights Day 2011",
        "summary": f"Summary of statement {n}.",
        "body": "First paragraph.\n\nSecond paragraph.",
        "is_published": True,
    } | overrides
    return Statement.objects.create(**fields)


def make_contact(**overrides):
    fields = {
        "name": "Human Rights Without Frontiers Int'l",
        "address": "Avenue d'Auderghem 61/16\n1040 Brussels",
        "phone": "32 2 3456145",
        "fax": "32 2 3456145",
        "is_current": True,
    } | overrides
    return Contact.objects.create(**fields)


def make_featured_petition(**overrides):
    fields = {
        "title": "Ask the UN for a Commission of Inquiry",
        "slug": "un-commission-of-inquiry",
        "ask": "Establish a Commission of Inquiry.",
        "addressee": "the United Nations Human Rights Council",
        "state": Petition.State.OPEN,
        "opens_at": datetime.datetime(2011, 9, 9, tzinfo=datetime.UTC),
        "is_featured": True,
    } | overrides
    return Petition.objects.create(**fields)


def make_content():
    """One of each content model the admin and the public pages show, across the apps."""
    n = next(_seq)
    return {
        "campaign": Campaign.objects.filter(is_current=True).first() or make_campaign(),
        "appeal": make_appeal(title=f"Appeal {n}", slug=f"appeal-{n}"),
        "statement": make_statement(title=f"Statement {n}", slug=f"statement-{n}"),
        "member": make_member(name=f"Member {n}", slug=f"member-{n}"),
        "testimony": make_testimony(name=f"Witness {n}", slug=f"witness-{n}"),
    }
