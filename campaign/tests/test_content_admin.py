"""The content admin and the "Content editors" group."""

import datetime

import pytest
from django.contrib.auth.models import Group

from campaign.models import Appeal, Demand, Statement
from campaign.tests.factories import make_appeal, make_campaign, make_milestone, make_statement
from tests.factories import sign_in_staff
from translations.testing import admin_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("editor", is_staff=True)
    user.groups.add(Group.objects.get(name="Content editors"))
    return user


@pytest.fixture
def editor_client(client, editor):
    sign_in_staff(client, editor)
    return client


def _appeal_form(appeal, demands, **changes):
    data = {
        "title": appeal.title,
        "slug": appeal.slug,
        "issuer": appeal.issuer,
        "addressee": appeal.addressee,
        "introduction": appeal.introduction,
        "date": appeal.date.isoformat() if appeal.date else "",
        "date_precision": appeal.date_precision,
        "is_published": "on" if appeal.is_published else "",
        "ordering": appeal.ordering,
        "demands-TOTAL_FORMS": len(demands),
        "demands-INITIAL_FORMS": sum(1 for d in demands if d.get("id")),
        "demands-MIN_NUM_FORMS": 0,
        "demands-MAX_NUM_FORMS": 1000,
    }
    for i, demand in enumerate(demands):
        for key, value in demand.items():
            data[f"demands-{i}-{key}"] = value
        data[f"demands-{i}-appeal"] = appeal.pk
    return admin_form_data(data | changes, Appeal, {"demands": Demand})


def test_content_editor_edits_an_appeal_and_reorders_its_demands(editor_client):
    appeal = make_appeal(title="Appeal to Kim Jong-il", demands=2)
    first, second = appeal.demands.order_by("position")
    demands = [
        {"id": first.pk, "position": 2, "text": first.text},
        {"id": second.pk, "position": 1, "text": "Edited second demand"},
        {"position": 3, "text": "A new third demand"},
    ]

    response = editor_client.post(
        f"/admin/campaign/appeal/{appeal.pk}/change/",
        _appeal_form(appeal, demands, addressee="The North Korean government"),
    )

    assert response.status_code == 302, response.context["adminform"].errors if response.context else ""
    appeal.refresh_from_db()
    assert appeal.addressee == "The North Korean government"
    assert list(appeal.demands.values_list("text", flat=True)) == [
        "Edited second demand",
        first.text,
        "A new third demand",
    ]


def test_content_editor_deletes_a_demand_inline(editor_client):
    appeal = make_appeal(demands=2)
    first, second = appeal.demands.order_by("position")
    demands = [
        {"id": first.pk, "position": 1, "text": first.text, "DELETE": "on"},
        {"id": second.pk, "position": 2, "text": second.text},
    ]

    response = editor_client.post(
        f"/admin/campaign/appeal/{appeal.pk}/change/", _appeal_form(appeal, demands)
    )

    assert response.status_code == 302
    assert list(Demand.objects.filter(appeal=appeal)) == [second]


def test_content_editor_adds_a_statement(editor_client):
    response = editor_client.post(
        "/admin/campaign/statement/add/",
        admin_form_data(
            {
                "title": "A new statement",
                "slug": "a-new-statement",
                "author": "Willy Fautré",
                "organisation": "Human Rights Without Frontiers Int'l",
                "date": "2011-12-09",
                "place": "London",
                "occasion": "",
                "summary": "Short.",
                "body": "One.\n\nTwo.",
            },
            Statement,
        ),
    )

    assert response.status_code == 302
    statement = Statement.objects.get(slug="a-new-statement")
    assert statement.is_published is False
    # As staff, the editor can preview the draft on the site before publishing it.
    preview = editor_client.get(statement.get_absolute_url())
    assert preview.status_code == 200
    assert b"Draft preview" in preview.content


def test_content_editor_changes_a_statement(editor_client):
    statement = make_statement(title="Old title", is_published=False)

    response = editor_client.post(
        f"/admin/campaign/statement/{statement.pk}/change/",
        admin_form_data(
            {
                "title": "New title",
                "slug": statement.slug,
                "author": statement.author,
                "organisation": statement.organisation,
                "date": statement.date.isoformat(),
                "place": statement.place,
                "occasion": statement.occasion,
                "summary": statement.summary,
                "body": statement.body,
                "is_published": "on",
            },
            Statement,
        ),
    )

    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.title == "New title"
    assert statement.is_published


def test_content_editor_cannot_see_signatures(editor, editor_client):
    assert editor.has_perm("campaign.change_appeal")
    assert editor.has_perm("campaign.change_statement")
    assert editor.has_perm("petitions.change_petition")
    assert not editor.has_perm("petitions.view_signature")
    assert not editor.has_perm("petitions.export_signature")
    # The signature admin belongs to the petition work: forbidden, or absent while it is not registered.
    assert editor_client.get("/admin/petitions/signature/").status_code in (403, 404)


def test_content_editor_cannot_manage_users(editor_client):
    assert editor_client.get("/admin/auth/user/").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/admin/campaign/campaign/",
        "/admin/campaign/appeal/",
        "/admin/campaign/milestone/",
        "/admin/campaign/statement/",
        "/admin/campaign/contact/",
    ],
)
def test_content_changelists_open_for_editors(editor_client, path):
    make_campaign()
    make_appeal(demands=2)
    make_milestone(date=datetime.date(2011, 10, 1), date_precision="month")
    make_statement()

    assert editor_client.get(path).status_code == 200


def test_appeal_changelist_shows_date_precision_and_demand_count(editor_client):
    make_appeal(title="October appeal", date=datetime.date(2011, 10, 1), date_precision="month", demands=5)

    content = editor_client.get("/admin/campaign/appeal/").content.decode()

    assert "October 2011" in content
    assert '<td class="field-demand_count">5</td>' in content


def test_appeal_change_form_offers_view_on_site_and_slug_prepopulation(editor_client):
    appeal = make_appeal(slug="appeal-to-kim-jong-il")

    content = editor_client.get(f"/admin/campaign/appeal/{appeal.pk}/change/").content.decode()

    assert "View on site" in content
    assert "prepopulated_fields" in content or "data-prepopulated-fields" in content


def test_appeal_is_reachable_by_its_anchor_from_view_on_site(client):
    appeal = make_appeal(slug="appeal-to-kim-jong-il")

    assert appeal.get_absolute_url() == "/en/appeals/#appeal-to-kim-jong-il"
    assert b'id="appeal-to-kim-jong-il"' in client.get("/en/appeals/").content


def test_appeal_search_finds_demand_text(editor_client):
    make_appeal(title="Has it", demands=0).demands.create(position=1, text="close the kwan-li-so")
    make_appeal(title="Lacks it", demands=1)

    content = editor_client.get("/admin/campaign/appeal/?q=kwan-li-so").content.decode()

    assert "Has it" in content
    assert "Lacks it" not in content
    assert Appeal.objects.count() == 2
