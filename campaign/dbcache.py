"""Django's database cache, with an ``incr()`` that concurrent requests cannot undercount.

The rate limits on signing count submissions per address with ``cache.incr()``.
Django's database cache implements it as a read followed by a write, so two
requests from one address at the same moment can both read 3 and both write 4.
Here the read locks the row until the write commits (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite the site's ``IMMEDIATE`` transactions already take the
write lock when they begin), so every increment counts. Everything else is
Django's.
"""

import base64
import pickle

from django.core.cache.backends import db
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now


class DatabaseCache(db.DatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        alias = router.db_for_write(self.cache_model_class)
        connection = connections[alias]
        quote = connection.ops.quote_name
        table = quote(self._table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('value')}, {quote('expires')} FROM {table} WHERE {quote('cache_key')} = %s{lock}",
                [key],
            )
            row = cursor.fetchone()
            if row is None or self._expired(connection, row[1]):
                raise ValueError(f"Key '{key}' not found")
            stored = connection.ops.process_clob(row[0])
            value = pickle.loads(base64.b64decode(stored.encode(), validate=True)) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {quote('value')} = %s WHERE {quote('cache_key')} = %s", [encoded, key]
            )
        return value

    @staticmethod
    def _expired(connection, expires):
        expression = models.Expression(output_field=models.DateTimeField())
        for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        ):
            expires = converter(expires, expression, connection)
        return expires < tz_now()
