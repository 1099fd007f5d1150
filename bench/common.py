"""Helpers shared by the benchmarks."""

import statistics
import time
from contextlib import contextmanager

from django.db import connection, transaction


class _RolledBack(Exception):
    pass


@contextmanager
def rolled_back():
    """Run a block in a transaction and roll it back (so it can be repeated on the same data)."""
    try:
        with transaction.atomic():
            yield
            raise _RolledBack
    except _RolledBack:
        pass


def check_constraints_now():
    # Django's foreign keys are deferred to commit; a rolled-back run must still pay for them.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def figure(name, value, unit, target, met, note=None) -> dict:
    result = {"name": name, "value": value, "unit": unit, "target": target, "met": bool(met)}
    if note:
        result["note"] = note
    return result


def time_once(cursor, statements: list[str]) -> float:
    """One untimed execution (plans and caches warm, outside the clock; alike for every side compared),
    then the timed one: seconds."""
    for sql in statements:
        cursor.execute(sql)
        cursor.fetchall()
    started = time.perf_counter()
    for sql in statements:
        cursor.execute(sql)
        cursor.fetchall()
    return time.perf_counter() - started
