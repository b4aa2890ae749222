"""The indicator table of the application (section 1.7) with progress: for the project so far
and for each reporting period, the figure, the target and the share reached; and the table as
the XLSX and CSV the project office sends with its progress report.

The periods are settings (``FACILITY_PROJECT_PERIOD``, ``FACILITY_REPORTING_PERIODS``); the
figures are those of ``indicators.py``.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Optional

from flask import current_app
from flask_babel import gettext as _

from facility.core.errors import invalid
from facility.core.time import FIRST_YEAR, LAST_YEAR
from facility.core.vocabulary import SIZE_WORDS
from facility.usage import indicators
from facility.usage.definitions import SOURCES, TABLE, UNITS, Indicator, share
from facility.usage.indicators import Period

FORMATS = ("json", "csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def span(first: date, last: date) -> dict:
    return {"from": first.isoformat(), "to": last.isoformat()}


def progress(as_of: date) -> dict:
    """The whole table as it stands on ``as_of`` (a local day): the project so far, the last
    reporting period that has ended (the current one while none has), and each reporting
    period that has begun, with its own figure and the project's figure at its end."""
    start, end = indicators.project_days()
    if as_of < start:
        raise invalid("before_project", f"The project starts on {start}; ask for a day from then on.", "as_of")
    so_far = (start, min(as_of, end))
    begun = [(a, min(b, as_of)) for a, b in indicators.reporting_days() if a <= as_of]
    ended = [(a, b) for a, b in indicators.reporting_days() if b < as_of]
    last = ended[-1] if ended else (begun[-1] if begun else so_far)
    rows = [_row(indicator, so_far, last, begun) for indicator in TABLE]
    return {
        "as_of": as_of.isoformat(),
        "project": span(start, end),
        "so_far": span(*so_far),
        "last_period": span(*last),
        "periods": [span(a, b) for a, b in begun],
        "fte_hours": current_app.config["FACILITY_FTE_HOURS"],
        "indicators": rows,
        "enterprises_by_size": next(row["by_size"] for row in rows if row["by_size"] is not None),
    }


def _row(indicator: Indicator, so_far: tuple, last: tuple, begun: list[tuple]) -> dict:
    start = so_far[0]
    value = indicators.figure(indicator.key, Period.of_days(*so_far))
    last_value = indicators.figure(indicator.key, Period.of_days(*last))
    row = {
        "key": indicator.key,
        "code": indicator.code,
        "result": indicator.result,
        "unit": indicator.unit,
        "unit_name": str(UNITS[indicator.unit]),
        "target": indicator.target,
        "title": str(indicator.title),
        "definition": str(indicator.definition),
        "source": indicator.source,
        "so_far": {"value": value, "share": share(value, indicator.target)},
        "last_period": {"value": last_value, "share": share(last_value, indicator.target)},
        "periods": [
            {
                **span(a, b),
                "value": indicators.figure(indicator.key, Period.of_days(a, b)),
                "cumulative": indicators.figure(indicator.key, Period.of_days(start, b)),
            }
            for a, b in begun
        ],
        "by_size": None,
    }
    if indicator.key == "enterprises_supported":
        row["by_size"] = indicators.by_size(Period.of_days(*so_far))
    return row


def parse_day(text: Optional[str], today: date) -> date:
    if not text:
        return today
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise invalid("invalid_date", f"'{text}' is not a date like 2026-11-30.", "as_of") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise invalid("invalid_date", f"Give a day between the years {FIRST_YEAR} and {LAST_YEAR}.", "as_of")
    return day


# --- the table as a file --------------------------------------------------------------------


def header(table: dict) -> list[str]:
    periods = [f"{p['from']} – {p['to']}" for p in table["periods"]]
    return [
        _("Code"),
        _("Indicator"),
        _("Unit"),
        _("Target"),
        _("Project so far (%(from)s – %(to)s)", **{"from": table["so_far"]["from"], "to": table["so_far"]["to"]}),
        _("Share of target"),
        _("Last reporting period (%(from)s – %(to)s)", **table["last_period"]),
        *periods,
        _("Source"),
        _("Definition"),
    ]


def lines(table: dict) -> list[list]:
    """The rows of the file: each indicator, and under RCO01 its enterprises by size class."""
    out = []
    for row in table["indicators"]:
        code = row["code"] or _("programme's own")
        kind = _("result") if row["result"] else _("output")
        out.append(
            [
                f"{code} ({kind})",
                row["title"],
                row["unit_name"],
                row["target"],
                row["so_far"]["value"],
                row["so_far"]["share"],
                row["last_period"]["value"],
                *[p["value"] for p in row["periods"]],
                str(SOURCES[row["source"]]),
                row["definition"],
            ]
        )
        for size, count in (row["by_size"] or {}).items():
            out.append(["", "  " + _("of which %(size)s", size=SIZE_WORDS[size]), row["unit_name"], None, count])
    return out


def render(table: dict, fmt: str) -> tuple[bytes, str, str]:
    """(body, content type, file name) of the table as CSV or XLSX."""
    name = f"indicators-{table['as_of']}"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header(table))
        writer.writerows(["" if cell is None else cell for cell in line] for line in lines(table))
        return out.getvalue().encode("utf-8"), "text/csv; charset=utf-8", f"{name}.csv"
    return _xlsx(table), XLSX_TYPE, f"{name}.xlsx"


def _xlsx(table: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Indicators")[:31]
    sheet.append([_("Indicator table 1.7, as of %(day)s", day=table["as_of"])])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(
        [_("Project period %(from)s – %(to)s", **{"from": table["project"]["from"], "to": table["project"]["to"]})]
    )
    sheet.append([])
    sheet.append(header(table))
    for cell in sheet[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    value_columns = range(4, 8 + len(table["periods"]))
    for line, row in zip(_with_rows(table), lines(table)):
        sheet.append(row)
        for column in value_columns:
            cell = sheet.cell(row=sheet.max_row, column=column)
            cell.number_format = "0%" if column == 6 else ("0.00" if line["unit"] == "fte" else "#,##0")
    for letter, width in zip("ABCDEFG", (16, 48, 18, 12, 18, 10, 18)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "C5"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_rows(table: dict):
    """The indicator each line of ``lines`` belongs to."""
    for row in table["indicators"]:
        yield row
        for _size in row["by_size"] or {}:
            yield row
