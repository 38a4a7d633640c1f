from django.apps import AppConfig


class TestimoniesConfig(AppConfig):
    name = "testimonies"
    verbose_name = "Testimonies"
    # Changes to these show on public pages: they invalidate the page cache (pagecache.invalidation).
    page_cache_models = ("Topic", "Testimony", "Passage")
