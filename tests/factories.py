"""Builders every app's tests share: staff users in the staff groups (made by a data migration)."""

import itertools

from django.contrib.auth.models import Group, User

_numbers = itertools.count(1)

CONTENT_EDITORS = "Content editors"
SUPPORTER_DATA = "Supporter data"


def make_staff_user(group_name=None, username=None, **overrides):
    """A staff user, in the named group if one is given."""
    username = username or f"staff{next(_numbers)}"
    # No password: tests log in with force_login, and hashing one is slow.
    user = User.objects.create_user(username=username, password=None, is_staff=True, **overrides)
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user


def make_content_editor(username=None):
    return make_staff_user(CONTENT_EDITORS, username=username)
