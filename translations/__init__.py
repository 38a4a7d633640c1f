"""The site's languages, shared by every app: URL prefixes, missing translations, the admin's column.

A package of its own beside the apps (like ``pagecache``) because ``coalition`` and
``testimonies`` may import neither ``campaign`` nor ``petitions``, yet their admins
and pages need the same "which languages are missing" logic. It imports no app.
"""
