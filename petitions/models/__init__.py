"""Petitions, their consent wording, supporters' signatures, the figures' tally, updates and the logs.

The tables keep the names they had when these models lived in ``campaign``
(``db_table``), so a database made before the move upgrades with no row moved.
"""

from petitions.models.core import (
    ConsentWording,
    Petition,
    PetitionQuerySet,
    Signature,
    SignatureExport,
    SignatureQuerySet,
    SignatureTally,
    StaffAction,
    TallyChange,
)
from petitions.models.updates import Update, UpdateDelivery, UpdateQuerySet

__all__ = [
    "ConsentWording",
    "Petition",
    "PetitionQuerySet",
    "Signature",
    "SignatureExport",
    "SignatureQuerySet",
    "SignatureTally",
    "StaffAction",
    "TallyChange",
    "Update",
    "UpdateDelivery",
    "UpdateQuerySet",
]
