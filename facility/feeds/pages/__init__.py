"""The feeds' pages (subscribing, outside calendars) and the public feed URL share one blueprint."""

from facility.http.pages import page_blueprint

bp = page_blueprint("feeds_pages", __name__)
