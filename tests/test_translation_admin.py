"""Every translated model's admin shows the missing languages as a column and a filter."""

import pytest
from django.urls import reverse

from campaign.tests.factories import make_statement
from coalition.tests.factories import make_member
from testimonies.tests.factories import make_testimony
from tests.factories import make_content_editor, sign_in_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    sign_in_staff(client, make_content_editor())
    return client


def test_the_column_lists_each_objects_missing_languages(editor_client):
    make_statement(title="Untranslated")
    make_statement(
        title="In Korean",
        title_ko="한국어 제목",
        summary_ko="요약",
        body_ko="본문",
        occasion_ko="2011년 인권의 날 기념",
    )
    response = editor_client.get(reverse("admin:campaign_statement_changelist"))
    rows = {
        obj.title: response.context["cl"].model_admin.missing_languages(obj)
        for obj in response.context["cl"].result_list
    }
    assert rows["Untranslated"] == "ko, ja, fr"
    assert rows["In Korean"] == "ja, fr"
    assert "missing languages" in response.text.lower()


def test_the_filter_keeps_the_objects_missing_a_language(editor_client):
    make_statement(title="Untranslated")
    make_statement(
        title="In Korean", title_ko="한국어 제목", summary_ko="요약", body_ko="본문", occasion_ko="기념"
    )
    response = editor_client.get(reverse("admin:campaign_statement_changelist"), {"missing_language": "ko"})
    assert [obj.title for obj in response.context["cl"].result_list] == ["Untranslated"]
    response = editor_client.get(reverse("admin:campaign_statement_changelist"), {"missing_language": "ja"})
    assert len(response.context["cl"].result_list) == 2


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("coalition_member", lambda: make_member(description="A member.")),
        ("testimonies_testimony", lambda: make_testimony()),
    ],
)
def test_apps_that_may_not_import_campaign_get_the_same_column(editor_client, name, make):
    make()
    response = editor_client.get(reverse(f"admin:{name}_changelist"), {"missing_language": "fr"})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1
    assert "missing languages" in response.text.lower()


def test_the_change_form_offers_every_language(editor_client):
    statement = make_statement()
    html = editor_client.get(reverse("admin:campaign_statement_change", args=[statement.pk])).text
    for language in ("en", "ko", "ja", "fr"):
        assert f'name="title_{language}"' in html
