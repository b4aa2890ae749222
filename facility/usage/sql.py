"""Small SQL pieces that work on both SQLite and PostgreSQL: seconds since the epoch, and
greatest/least of two values (used to clip a span to a period inside the aggregation)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, and_, case, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class epoch(FunctionElement):
    """Whole seconds since 1970-01-01 UTC of a UTC timestamp column."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch)
def _epoch_default(element, compiler, **kw):
    return "CAST(EXTRACT(EPOCH FROM %s) AS BIGINT)" % compiler.process(element.clauses, **kw)


@compiles(epoch, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    # The column holds naive UTC text ("2026-10-25 01:00:00.000000"); strftime('%s') reads it as UTC.
    return "CAST(strftime('%%s', %s) AS INTEGER)" % compiler.process(element.clauses, **kw)


def greatest(a, b) -> ColumnElement:
    return case((a >= b, a), else_=b)


def least(a, b) -> ColumnElement:
    return case((a <= b, a), else_=b)


def seconds(instant: datetime) -> int:
    return int(instant.timestamp())


def clipped_seconds(start_col, end_col, period_start: datetime, period_end: datetime) -> ColumnElement:
    """Seconds of [start_col, end_col) inside the period (0 outside); meant inside sum()."""
    return _clipped(
        start_col,
        end_col,
        literal(period_start, start_col.type),
        literal(period_end, end_col.type),
        literal(seconds(period_start), BigInteger()),
        literal(seconds(period_end), BigInteger()),
    )


class _clipped(FunctionElement):
    """``clipped_seconds``: (start, end, period start, period end, its start and end in epoch seconds)."""

    type = BigInteger()
    inherit_cache = True


@compiles(_clipped)
def _clipped_default(element, compiler, **kw):
    start_col, end_col, _start, _end, lo, hi = element.clauses
    clipped = least(epoch(end_col), hi) - greatest(epoch(start_col), lo)
    return compiler.process(case((clipped > 0, clipped), else_=0), **kw)


@compiles(_clipped, "sqlite")
def _clipped_sqlite(element, compiler, **kw):
    # The same figure with one strftime() per column instead of eight: the columns hold naive
    # UTC text, which compares with the period's bounds as the instants do, and whole seconds
    # (strftime floors) keep each comparison's outcome; max(x, 0) evaluates x once.
    start_col, end_col, period_start, period_end, lo, hi = (compiler.process(c, **kw) for c in element.clauses)
    return (
        f"max((CASE WHEN {end_col} <= {period_end} THEN CAST(strftime('%s', {end_col}) AS INTEGER) ELSE {hi} END)"
        f" - (CASE WHEN {start_col} >= {period_start} THEN CAST(strftime('%s', {start_col}) AS INTEGER)"
        f" ELSE {lo} END), 0)"
    )


def meets(start_col, end_col, period_start: datetime, period_end: datetime):
    return and_(start_col < period_end, end_col > period_start)


def total(expr) -> ColumnElement:
    return func.coalesce(func.sum(expr), 0)
