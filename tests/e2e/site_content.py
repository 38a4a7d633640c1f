"""The content the accessibility checks visit: the deployment fixtures, plus builder objects for what they lack.

``ensure_site_content()`` loads fixtures/*.json with ``load_content`` (as a deployment does) and then adds a
small builder object for every kind of page the fixtures do not provide yet (an open featured petition, a
testimony with a graphic passage, …), so that every public page exists whichever branches are merged.
The builder text is test data taken from the source article; it names no real person.
"""

import datetime
from types import SimpleNamespace

from django.core.management import call_command
from django.utils import timezone

from campaign.models import Appeal, Campaign, Contact, Demand, KeyFact, Milestone, Statement
from coalition.models import Member
from petitions.models import ConsentWording, Petition, Signature
from testimonies.models import Passage, Testimony, Topic

SOURCE_DAY = datetime.date(2011, 12, 9)


def ensure_site_content():
    """Load the deployment fixtures, fill the gaps, and return the objects the checks visit."""
    call_command("load_content", verbosity=0)
    campaign = Campaign.objects.filter(is_current=True).first() or _make_campaign()
    if not Appeal.objects.published().exists():
        _make_appeal()
    if not Milestone.objects.published().exists():
        Milestone.objects.create(
            title="European Parliament resolution",
            slug="builder-european-parliament-resolution",
            date=datetime.date(2010, 7, 8),
            description="The European Parliament called for a Commission of Inquiry.",
            is_published=True,
        )
    statement = Statement.objects.published().first() or Statement.objects.create(
        title="Human rights in North Korea",
        slug="builder-statement",
        author="Human Rights Without Frontiers",
        date=SOURCE_DAY,
        place="London",
        summary="A call for a UN Commission of Inquiry.",
        body="North Korea is ranked in every survey of freedom and human rights as the worst of the worst.\n\n"
        "The coalition seeks a United Nations Commission of Inquiry.",
        is_published=True,
    )
    if not Contact.objects.filter(is_current=True).exists():
        Contact.objects.create(name="ICNK secretariat", email="info@example.org")
    if not Member.objects.published().filter(kind=Member.Kind.ORGANISATION).exists():
        Member.objects.create(
            name="Human Rights Without Frontiers",
            slug="builder-hrwf",
            kind=Member.Kind.ORGANISATION,
            country="BE",
            is_published=True,
        )
    if not Member.objects.published().filter(kind=Member.Kind.INDIVIDUAL).exists():
        Member.objects.create(
            name="A supporting individual", slug="builder-individual", kind="individual", is_published=True
        )
    return SimpleNamespace(
        campaign=campaign,
        petition=_open_petition(),
        statement=statement,
        testimony=_testimony_with_content_warning(),
    )


def _make_campaign():
    campaign = Campaign.objects.create(
        name="International Coalition to Stop Crimes Against Humanity in North Korea",
        short_name="ICNK",
        objective="To hold the North Korean government accountable for widespread and systematic violations.",
    )
    KeyFact.objects.create(
        campaign=campaign, figure="200,000", label="people estimated in political prison camps"
    )
    return campaign


def _make_appeal():
    appeal = Appeal.objects.create(
        title="Letter to the leader of North Korea",
        slug="builder-appeal",
        issuer="The International Coalition",
        addressee="The government of North Korea",
        is_published=True,
    )
    Demand.objects.create(
        appeal=appeal, text="Provide access to international humanitarian organisations and monitors."
    )


def _open_petition():
    """The featured open petition (the fixtures' one when it is open), with its consent wording."""
    petition = Petition.objects.open().order_by("-is_featured", "pk").first()
    if petition is None:
        Petition.objects.filter(is_featured=True).update(is_featured=False)
        petition = Petition.objects.create(
            title="Ask the UN for a Commission of Inquiry",
            slug="builder-petition",
            ask="We ask the United Nations to establish a Commission of Inquiry.",
            description="An estimated 200,000 people are held in political prison camps.",
            addressee="the UN Human Rights Council",
            opens_at=timezone.now() - datetime.timedelta(days=1),
            state=Petition.State.OPEN,
            is_featured=True,
        )
    if not petition.consent_wordings.exists():
        ConsentWording.objects.create(
            petition=petition,
            version=1,
            text="I agree that the coalition stores my details to count my signature.",
        )
    return petition


def _testimony_with_content_warning():
    """A published testimony with a graphic passage folded behind a warning."""
    testimony = Testimony.objects.published().filter(passages__is_graphic=True).distinct().first()
    if testimony is not None:
        return testimony
    testimony = Testimony.objects.create(
        name="Survivor A (builder data)",
        slug="builder-survivor-a",
        summary="A survivor of a political prison camp who escaped.",
        body="This account stands in for a testimony until the fixtures provide one.",
        given_at="a public hearing",
        consent_basis=Testimony.ConsentBasis.PUBLIC,
        consent_date=SOURCE_DAY,
        consent_scope="Builder data for the tests; never deployed.",
        is_published=True,
    )
    topic, _ = Topic.objects.get_or_create(slug="torture", defaults={"name": "Torture"})
    testimony.topics.add(topic)
    Passage.objects.create(testimony=testimony, position=1, text="The survivor was held for many years.")
    Passage.objects.create(
        testimony=testimony,
        position=2,
        text="Guards tortured prisoners during interrogations.",
        is_graphic=True,
        warning="Describes torture",
    )
    return testimony


def make_signature(petition, *, state=Signature.State.PENDING, email="reader@example.org"):
    return Signature.objects.create(
        petition=petition,
        name="Test Reader",
        email=email,
        email_normalised=email.lower(),
        country="GB",
        consent_wording=petition.consent_wordings.latest(),
        state=state,
        confirmed_at=timezone.now() if state == Signature.State.CONFIRMED else None,
    )
