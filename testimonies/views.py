"""Survivors' testimonies: a list with summaries and a detail page with graphic passages folded."""

from django.db.models import Count, Q
from django.utils.http import urlencode
from django.views.generic import DetailView, ListView

from pagecache import cache_public_page, content_memo, do_not_store, page_number
from pagecache.query import UNKNOWN
from testimonies.models import Testimony, Topic


class TestimonyListView(ListView):
    template_name = "testimonies/testimony_list.html"
    context_object_name = "testimonies"
    paginate_by = 20

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.topic_slug = request.GET.get("topic", "").strip()

    def get_queryset(self):
        testimonies = Testimony.objects.published().prefetch_related("topics")
        # Topics that have at least one published testimony, for the filter links.
        self.topics = list(
            Topic.objects.annotate(
                published_count=Count("testimonies", filter=Q(testimonies__is_published=True))
            ).filter(published_count__gt=0)
        )
        self.topic = None
        self.filter_error = ""
        if self.topic_slug:
            self.topic = next((t for t in self.topics if t.slug == self.topic_slug), None)
            if self.topic is None:
                self.filter_error = (
                    "There is no such topic with published testimonies; showing every testimony."
                )
            else:
                testimonies = testimonies.filter(topics=self.topic)
        return testimonies

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            topics=self.topics,
            topic=self.topic,
            filter_error=self.filter_error,
            query_string=urlencode({"topic": self.topic.slug}) if self.topic else "",
            **kwargs,
        )


def canonical_topic(raw):
    """``?topic=`` as the list reads it: a topic's slug, or ``unknown`` for one that names no topic.

    Every made-up value shares the one explained copy of ``unknown``; the
    topics' slugs are read once per content version in each process.
    """
    value = raw.strip()
    if not value:
        return None
    slugs = content_memo(("topic-slugs",), lambda: frozenset(Topic.objects.values_list("slug", flat=True)))
    return value if value in slugs else UNKNOWN


testimony_list = cache_public_page(query_params={"topic": canonical_topic, "page": page_number})(
    TestimonyListView.as_view()
)


class TestimonyDetailView(DetailView):
    template_name = "testimonies/testimony_detail.html"
    context_object_name = "testimony"

    def get_queryset(self):
        testimonies = Testimony.objects.prefetch_related("topics", "passages")
        # Staff preview drafts; everyone else gets a 404 for them.
        if self.request.user.is_staff:
            return testimonies
        return testimonies.published()

    def get_context_data(self, **kwargs):
        passages = list(self.object.passages.all())
        first_graphic = next((p for p in passages if p.is_graphic), None)
        return super().get_context_data(
            passages=passages,
            first_graphic_pk=first_graphic.pk if first_graphic else None,
            is_preview=not self.object.is_published,
            **kwargs,
        )

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context["is_preview"]:
            # A draft seen by staff must not land in a shared cache.
            do_not_store(response)
        return response


testimony_detail = cache_public_page(TestimonyDetailView.as_view())
