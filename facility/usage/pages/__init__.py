"""The usage pages: check-in and check-out, the instrument display, usage records, the monthly
report, the funder's indicators and projects."""

from facility.http.pages import page_blueprint

bp = page_blueprint("usage_pages", __name__)
