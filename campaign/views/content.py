"""Content pages: home, appeals, timeline, statements, about, privacy; the news feed."""

from datetime import datetime, time

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_http_methods, require_safe
from django.views.generic import DetailView, ListView, TemplateView

from campaign.models import Appeal, Campaign, Contact, Demand, KeyFact, Milestone, Statement
from coalition.models import Member
from pagecache import cache_public_page, do_not_store, page_number
from petitions.models import Petition
from testimonies.models import Testimony

HOME_MEMBERS = 6
HOME_TESTIMONIES = 4


class HomeView(TemplateView):
    template_name = "campaign/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["campaign"] = (
            Campaign.objects.filter(is_current=True)
            .prefetch_related(Prefetch("key_facts", queryset=KeyFact.objects.order_by("position", "pk")))
            .first()
        )
        context["petition"] = Petition.objects.published().filter(is_featured=True).first()
        context["latest_statement"] = Statement.objects.published().first()
        context["members"] = list(Member.objects.published()[:HOME_MEMBERS])
        # Summaries only: the home page never shows a testimony's graphic passages.
        context["testimonies"] = list(
            Testimony.objects.published().only("name", "slug", "summary", "detention_place")[
                :HOME_TESTIMONIES
            ]
        )
        return context


home = require_safe(cache_public_page(HomeView.as_view()))


class AppealListView(ListView):
    template_name = "campaign/appeal_list.html"
    context_object_name = "appeals"

    def get_queryset(self):
        return Appeal.objects.published().prefetch_related(
            Prefetch("demands", queryset=Demand.objects.order_by("position", "pk"))
        )


appeal_list = require_safe(cache_public_page(AppealListView.as_view()))


class TimelineView(ListView):
    template_name = "campaign/milestone_list.html"
    context_object_name = "milestones"

    def get_queryset(self):
        return Milestone.objects.published().order_by("date", "pk")


timeline = require_safe(cache_public_page(TimelineView.as_view()))


class StatementListView(ListView):
    template_name = "campaign/statement_list.html"
    context_object_name = "statements"
    paginate_by = 10

    def get_queryset(self):
        # The list never needs the (long) body.
        return Statement.objects.published().defer("body")


statement_list = require_safe(
    cache_public_page(query_params={"page": page_number})(StatementListView.as_view())
)


class StatementDetailView(DetailView):
    template_name = "campaign/statement_detail.html"
    context_object_name = "statement"

    def get_queryset(self):
        if self.request.user.is_staff:
            # Staff preview drafts before publishing them.
            return Statement.objects.all()
        return Statement.objects.published()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["absolute_url"] = settings.SITE_URL + self.object.get_absolute_url()
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if not self.object.is_published:
            # A draft preview must never be cached or indexed.
            do_not_store(response, noindex=True)
        return response


statement_detail = require_safe(cache_public_page(StatementDetailView.as_view()))


class StatementFeed(Feed):
    """Atom feed of published statements; links are absolute from SITE_URL."""

    feed_type = Atom1Feed
    title = "News from the International Coalition to Stop Crimes Against Humanity in North Korea"
    subtitle = "Statements by the coalition and its members."

    def link(self):
        return settings.SITE_URL + reverse("campaign:statement-list")

    def feed_url(self):
        return settings.SITE_URL + reverse("campaign:statement-feed")

    def items(self):
        return Statement.objects.published()[:20]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary or item.body[:300]

    def item_link(self, item):
        return settings.SITE_URL + item.get_absolute_url()

    def item_author_name(self, item):
        return f"{item.author}, {item.organisation}" if item.organisation else item.author

    def item_pubdate(self, item):
        return _as_datetime(item.date)

    def item_updateddate(self, item):
        return item.updated_at


def _as_datetime(day):
    return timezone.make_aware(datetime.combine(day, time(12)), timezone.get_default_timezone())


# The same XML for everyone: served publicly cacheable.
statement_feed = require_safe(cache_public_page(public=True)(StatementFeed()))


def _email_parts(email):
    """'info@example.org' → 'info [at] example [dot] org': readable aloud, not harvestable as an address."""
    local, _, domain = email.partition("@")
    return f"{local} [at] {domain.replace('.', ' [dot] ')}"


@require_http_methods(["GET", "HEAD", "POST"])
@cache_public_page  # GET only: the POST that shows the address always bypasses
def about(request):
    contact = Contact.objects.filter(is_current=True).first()
    # The plain address appears only after a POST (the "Show email address" button): harvesters
    # that follow links never submit forms, and no JavaScript is needed, so screen readers get it too.
    show_email = request.method == "POST" and contact is not None and bool(contact.email)
    context = {
        "campaign": Campaign.objects.filter(is_current=True).first(),
        "contact": contact,
        "obscured_email": _email_parts(contact.email) if contact and contact.email else "",
        "show_email": show_email,
    }
    response = render(request, "campaign/about.html", context)
    if show_email:
        do_not_store(response, noindex=True)
    return response


class PrivacyView(TemplateView):
    template_name = "campaign/privacy.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["pending_retention_days"] = settings.PETITION_PENDING_RETENTION_DAYS
        context["suspected_retention_days"] = settings.PETITION_SUSPECTED_RETENTION_DAYS
        context["closed_retention_days"] = settings.PETITION_CLOSED_RETENTION_DAYS
        context["contact"] = Contact.objects.filter(is_current=True).first()
        return context


privacy = require_safe(cache_public_page(PrivacyView.as_view()))
