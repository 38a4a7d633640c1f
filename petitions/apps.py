from django.apps import AppConfig


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = "Petitions"
    # Changes to these show on public pages: they invalidate the page cache (pagecache.invalidation).
    page_cache_models = ("Petition", "ConsentWording", "Update")
