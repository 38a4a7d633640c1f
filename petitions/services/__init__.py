"""Writes with side effects on petitions and signatures, one module per sub-domain.

- ``addresses``: normalising emails, hashing and reading the client's IP address
- ``tokens``: the signed tokens in confirmation and withdrawal links
- ``signing``: a new signature (rate limits, duplicates, suspicion) and its email
- ``storing``: the signature's INSERT, with its email task in the same statement on PostgreSQL
- ``confirming``: confirming and withdrawing
- ``counting``: the count, recent signers, per-country and per-member figures
- ``staff``: invalidating, clearing suspects, resending, bulk criteria
- ``retention``: deleting and anonymising old data

Every state change is a single conditional UPDATE, so that double clicks,
retries and concurrent requests can never count a signature twice. Emails are
enqueued with ``transaction.on_commit``; ``tasks`` imports ``tokens`` only, so
no module here and ``tasks`` import each other in a circle.

Abuse. A honeypot, a too-fast form (both judged by the form) and a submission
over the per-IP rate limit are stored as ``suspected``: they get the same
answer as anyone else, no confirmation email, and no place in the count until
staff clear them (``staff.clear_suspected``), which sends the email.
"""
