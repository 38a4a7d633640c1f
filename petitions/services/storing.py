"""Storing a new signature with its confirmation task: one INSERT statement on PostgreSQL, the ORM elsewhere."""

import collections
import os
import threading
from contextlib import nullcontext

from django.db import transaction

from petitions import tasks
from petitions.models import Signature


def enqueue_confirmation(*, signature_id):
    """Send the confirmation email once the current transaction commits."""
    request = tasks.confirmation_request()
    transaction.on_commit(lambda: tasks.send_confirmation.enqueue(signature_id, **request))


def insert_signature(*, signature, send_email):
    """INSERT a new signature and, with ``send_email``, its confirmation email; a duplicate raises IntegrityError.

    With the database task queue the email's task row is written in the same
    transaction as the signature (the task exists exactly when the signature
    does): on PostgreSQL in one statement (``_insert_with_email_task``), else
    by the ORM in one transaction; other queues get the task once the
    signature commits. Both paths store the same rows.

    Inside a caller's transaction a savepoint keeps that transaction usable
    after a duplicate email's IntegrityError; in autocommit mode each
    statement is a transaction by itself and leaves nothing to roll back.
    """
    with_task = send_email and _tasks_kept_in_the_database()
    connection = transaction.get_connection()
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with savepoint:
        if with_task and connection.vendor == "postgresql":
            _insert_with_email_task(signature)
        elif with_task:
            with transaction.atomic():
                signature.save(force_insert=True)
                tasks.send_confirmation.enqueue(signature.pk, **tasks.confirmation_request())
        else:
            signature.save(force_insert=True)
    if send_email and not with_task:
        enqueue_confirmation(signature_id=signature.pk)


def _tasks_kept_in_the_database():
    """True when the task queue is a table in the site's database (django-tasks-db)."""
    from django.tasks import task_backends

    try:
        from django_tasks_db.backend import DatabaseBackend
    except ImportError:  # pragma: no cover - a dependency
        return False
    return isinstance(task_backends["default"], DatabaseBackend)


def _insert_with_email_task(signature):
    """PostgreSQL: the signature and its confirmation task in one INSERT statement (one round trip).

    Behaves like ``signature.save()`` followed by ``send_confirmation.enqueue()``
    in one transaction, at a fraction of the cost, which is what a signing
    spike pays for: the signature's id is taken from its sequence first (a
    block of ids at a time, see ``_next_signature_id``), then one statement (the task's INSERT in a ``WITH`` clause, the signature's as
    the main statement) writes both rows or, on a duplicate email, neither.
    Both INSERTs are compiled by Django from model instances, so defaults,
    ``auto_now_add`` and the task backend's own ``pre_save`` handler apply as
    with ``save()``. ``enqueue()``'s ``task_enqueued`` signal is sent after.
    """
    from django.db.models.signals import pre_save
    from django.tasks.signals import task_enqueued
    from django.utils.json import normalize_json
    from django_tasks_db.models import DBTaskResult

    send_confirmation = tasks.send_confirmation
    connection = transaction.get_connection()
    backend = send_confirmation.get_backend()
    with connection.cursor() as cursor:
        signature.pk = _next_signature_id(cursor)
        task_row = DBTaskResult(
            id=backend._get_id(),
            args_kwargs=normalize_json({"args": [signature.pk], "kwargs": tasks.confirmation_request()}),
            priority=send_confirmation.priority,
            task_path=send_confirmation.module_path,
            queue_name=send_confirmation.queue_name,
            run_after=send_confirmation.run_after,
            backend_name=backend.alias,
        )
        pre_save.send(DBTaskResult, instance=task_row, raw=False, using=connection.alias, update_fields=None)
        task_sql, task_params = _compiled_insert(task_row, connection)
        signature_sql, signature_params = _compiled_insert(signature, connection)
        cursor.execute(f"WITH email_task AS ({task_sql}) {signature_sql}", (*task_params, *signature_params))
    for row in (signature, task_row):
        row._state.adding = False
        row._state.db = connection.alias
    task_enqueued.send(type(backend), task_result=task_row.task_result)


# Signature ids this process has taken from the sequence and not used yet.
SIGNATURE_ID_BLOCK = 50


_signature_ids = {"pid": None, "ids": collections.deque()}


_signature_ids_lock = threading.Lock()


def _next_signature_id(cursor):
    """The next id from this process's block, taking ``SIGNATURE_ID_BLOCK`` new ones from the sequence when empty.

    A sequence never hands out a value twice, so blocks never overlap; ids
    left unused when a process ends are only a gap in the numbering. Ids are
    not in time order across processes (``created_at`` is). A forked child
    starts with an empty block of its own.
    """
    with _signature_ids_lock:
        if _signature_ids["pid"] != os.getpid():
            _signature_ids.update(pid=os.getpid(), ids=collections.deque())
        ids = _signature_ids["ids"]
        if not ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Signature._meta.db_table, SIGNATURE_ID_BLOCK],
            )
            ids.extend(row[0] for row in cursor.fetchall())
        return ids.popleft()


def _compiled_insert(instance, connection):
    """``INSERT … VALUES …`` for every concrete field of an unsaved instance, as Django would write it."""
    from django.db.models.sql import InsertQuery

    query = InsertQuery(type(instance))
    query.insert_values(type(instance)._meta.concrete_fields, [instance])
    ((sql, params),) = query.get_compiler(connection=connection).as_sql()
    return sql, params
