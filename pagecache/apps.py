from django.apps import AppConfig
from django.conf import settings


class PageCacheConfig(AppConfig):
    name = "pagecache"
    verbose_name = "Page cache"

    def ready(self):
        from pagecache import csrf
        from pagecache.invalidation import connect_invalidation_signals

        # Every app's models are loaded by now, whatever the order of INSTALLED_APPS.
        connect_invalidation_signals()
        # Fails start-up loudly if the Django CSRF internals the cache uses have changed.
        csrf.install(enabled=settings.PAGE_CACHE_CSRF_PATCH)
