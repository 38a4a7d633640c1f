"""The petition: sign, thanks, confirm, withdraw, countries, and the public API."""

from django.views.generic import TemplateView


def _placeholder(title):
    return TemplateView.as_view(template_name="placeholder.html", extra_context={"title": title})


petition_redirect = _placeholder("Petition")
petition_detail = _placeholder("Petition")
petition_thanks = _placeholder("Thank you")
petition_confirm = _placeholder("Confirm")
petition_withdraw = _placeholder("Withdraw")
petition_countries = _placeholder("Countries")
api_petition_list = _placeholder("API")
api_petition_detail = _placeholder("API")
