from django.apps import AppConfig


class CoalitionConfig(AppConfig):
    name = "coalition"
    verbose_name = "Coalition"
    # Changes to these show on public pages: they invalidate the page cache (pagecache.invalidation).
    page_cache_models = ("Member",)
