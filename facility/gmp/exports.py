"""The logbook as CSV and as a printable PDF (ReportLab's platypus: a maintained library, no
hand-drawn PDF). Both are built only from what the system recorded (services.logbook)."""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _

from facility.gmp.services import Line, Logbook, use_batch, use_product
from facility.gmp.words import kind_words, line_what, outcome_words
from facility.http.localtime import format_local

CSV_COLUMNS = (
    "number",
    "at",
    "until",
    "kind",
    "who",
    "what",
    "procedure",
    "outcome",
    "product",
    "batch",
    "corrects",
    "corrected_by",
    "reason",
    "recorded_at",
    "signed_by",
)


def csv_rows(book: Logbook) -> list[list[str]]:
    zone = book.zone
    return [
        [
            line.number,
            format_local(line.at, zone),
            format_local(line.until, zone) if line.until else "",
            kind_words(line.kind),
            line.who,
            line_what(line),
            line.procedure,
            outcome_words(line.outcome),
            line.product or "",
            line.batch or "",
            line.corrects or "",
            line.corrected_by or "",
            line.reason,
            format_local(line.recorded_at, zone) if line.recorded_at else "",
            line.signer or "",
        ]
        for line in book.lines
    ]


def to_csv(book: Logbook) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(book))
    return out.getvalue().encode("utf-8")


def filename(book: Logbook, extension: str) -> str:
    start = format_local(book.start, book.zone, False)[:10]
    end = format_local(book.end, book.zone, False)[:10]
    return f"logbook-{book.resource.key}-{start}-{end}.{extension}"


def correction_marks(line: Line) -> str:
    """The marks a correction leaves in the print: the original stays, both name each other."""
    marks = []
    if line.corrected_by:
        marks.append(_("CORRECTED by %(number)s", number=line.corrected_by))
    if line.corrects:
        marks.append(_("CORRECTION of %(number)s: %(reason)s", number=line.corrects, reason=line.reason))
    return " · ".join(marks)


def to_pdf(book: Logbook) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7.5, leading=9)
    zone = book.zone
    resource = book.resource
    buffer = io.BytesIO()
    title = _("Logbook of %(name)s (%(key)s)", name=resource.name, key=resource.key)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
    )

    def cell(text) -> Paragraph:
        return Paragraph(escape(str(text or "")), small)

    header = [
        _("No."),
        _("When"),
        _("Kind"),
        _("Who"),
        _("What"),
        _("Procedure"),
        _("Outcome"),
        _("Product"),
        _("Batch"),
        _("Corrections"),
    ]
    rows = [[cell(h) for h in header]]
    for line in book.lines:
        when = format_local(line.at, zone)
        if line.until:
            when += " – " + format_local(line.until, zone)
        what = line_what(line)
        if line.signer:
            what = (what + " " + _("(signed by %(name)s)", name=line.signer)).strip()
        rows.append(
            [
                cell(line.number),
                cell(when),
                cell(kind_words(line.kind)),
                cell(line.who),
                cell(what),
                cell(line.procedure),
                cell(outcome_words(line.outcome)),
                cell(line.product),
                cell(line.batch),
                cell(correction_marks(line)),
            ]
        )
    widths = [14 * mm, 38 * mm, 24 * mm, 30 * mm, 60 * mm, 25 * mm, 16 * mm, 22 * mm, 20 * mm, 24 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    period = _(
        "%(facility)s · %(start)s to %(end)s",
        facility=resource.facility.name,
        start=format_local(book.start, zone),
        end=format_local(book.end, zone),
    )
    story = [
        Paragraph(escape(title), styles["Title"]),
        Paragraph(escape(period), styles["Normal"]),
        Paragraph(
            escape(_("Entries are never changed or deleted; a correction is a new entry naming the one it corrects.")),
            small,
        ),
        Spacer(1, 4 * mm),
        table if book.lines else Paragraph(escape(_("Nothing was recorded in this period.")), styles["Normal"]),
    ]
    doc.build(story)
    return buffer.getvalue()


IMPACT_COLUMNS = ("product", "batch", "use", "start", "end", "user", "organisation", "booking", "source")


def impact_csv(impact) -> bytes:
    """One row per use that stands, with its product and batch: what a deviation report lists."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(IMPACT_COLUMNS)
    for record in impact.uses:
        writer.writerow(
            [
                use_product(record) or "",
                use_batch(record) or "",
                f"U{record.id}",
                format_local(record.start_at, impact.zone),
                format_local(record.end_at, impact.zone) if record.end_at else "",
                record.user.email,
                record.organisation.key,
                record.booking_id or "",
                record.source,
            ]
        )
    return out.getvalue().encode("utf-8")


def impact_filename(impact) -> str:
    start = format_local(impact.start, impact.zone, False)[:10]
    end = format_local(impact.end, impact.zone, False)[:10]
    return f"batches-{impact.resource.key}-{start}-{end}.csv"
