"""The bookings' pages: the catalogue and calendars, booking, and the managers' approvals,
blackouts and resource statuses."""

from facility.http.pages import page_blueprint

bp = page_blueprint("bookings_pages", __name__)
