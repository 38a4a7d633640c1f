"""Content pages: home, appeals, timeline, statements, about, privacy, cookies."""

from django.views.generic import TemplateView


def _placeholder(title):
    return TemplateView.as_view(template_name="placeholder.html", extra_context={"title": title})


home = _placeholder("Stop crimes against humanity in North Korea")
appeal_list = _placeholder("Appeals")
timeline = _placeholder("Timeline")
statement_list = _placeholder("News")
statement_detail = _placeholder("Statement")
statement_feed = _placeholder("Feed")
about = _placeholder("About")
privacy = _placeholder("Privacy")
cookies = _placeholder("Cookie preferences")
