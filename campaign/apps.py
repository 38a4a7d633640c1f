from django.apps import AppConfig


class CampaignConfig(AppConfig):
    name = "campaign"
    verbose_name = "Campaign"
    # Changes to these show on public pages: they invalidate the page cache (pagecache.invalidation).
    page_cache_models = (
        "Campaign",
        "KeyFact",
        "Appeal",
        "Demand",
        "Milestone",
        "Statement",
        "Contact",
    )
