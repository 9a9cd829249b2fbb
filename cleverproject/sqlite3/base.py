"""SQLite with its real bound-parameter limit.

Django 5.2 assumes SQLite's old compile-time default of 999 variables per
statement and splits bulk inserts into batches of 999 // fields rows, so a roster
sync would issue more statements as classes grow. SQLite 3.32+ defaults to
32766, and Debian builds allow 250000; we read the limit from the connection
(as Django 6.0 does), so one sync stays a fixed number of statements.
"""

import sqlite3

from django.db.backends.sqlite3 import base, features
from django.utils.functional import cached_property


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self):
        self.connection.ensure_connection()
        return self.connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
