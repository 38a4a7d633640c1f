"""Invalidation: a staff edit shows at once, without knowing which pages it touched.

Each app names its own content models, the ones whose changes can show on a
public page, on its ``AppConfig``::

    class CoalitionConfig(AppConfig):
        name = "coalition"
        page_cache_models = ("Member",)

``PageCacheConfig.ready`` collects them from every installed app (an unknown
name stops start-up) and connects their saves, deletes and many-to-many
changes to ``bump_content_version``, as it does ``post_migrate``, so a deploy
that runs ``migrate`` drops the copies made by the old templates too.
A new content version makes every stored copy stale (see ``pagecache.levels``
for how soon other processes see it).
"""

from django.apps import apps
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

from pagecache.levels import set_new_version


def bump_content_version(**kwargs):
    """Invalidate every cached page (a new content version): now, and again once the transaction commits.

    The first bump makes the change visible to the next request in this
    transaction (and in tests); the second discards any copy another request
    rendered from the old data in between. Call it from services that change
    what pages show without a model save (withdrawing a signature removes a
    name from the petition page). Accepts and ignores signal arguments.
    """
    set_new_version()
    transaction.on_commit(set_new_version, robust=True)


def content_models():
    """Every model an installed app declares in ``page_cache_models``."""
    return [
        config.get_model(name)
        for config in apps.get_app_configs()
        for name in getattr(config, "page_cache_models", ())
    ]


def connect_invalidation_signals():
    """Bump the content version whenever staff change a declared content model."""
    for model in content_models():
        label = model._meta.label
        post_save.connect(bump_content_version, sender=model, dispatch_uid=f"page-cache-save-{label}")
        post_delete.connect(bump_content_version, sender=model, dispatch_uid=f"page-cache-delete-{label}")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                bump_content_version,
                sender=field.remote_field.through,
                dispatch_uid=f"page-cache-m2m-{label}-{field.name}",
            )
    post_migrate.connect(bump_content_version, dispatch_uid="page-cache-migrate")
