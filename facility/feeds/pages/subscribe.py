"""The feed URL itself, one booking as an .ics file, and the "Calendar feeds" page."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.http import is_resource_modified

from facility.catalog.services import list_facilities, list_resources
from facility.core.errors import ServiceError
from facility.core.time import utcnow
from facility.feeds import services
from facility.feeds.forms import MINE, FeedForm
from facility.feeds.links import base_url, feed_url, signing_key, webcal_url
from facility.feeds.pages import bp
from facility.http.downloads import download
from facility.http.pages import public

CALENDAR_TYPE = "text/calendar; charset=utf-8"


@bp.route("/calendar/<secret>.ics")
@public
def feed(secret: str):
    """The feed, for whoever holds its URL. Unknown, revoked and malformed secrets look alike."""
    found = services.feed_for_secret(secret)
    if found is None:  # the same few bytes for every wrong URL
        return Response("No such calendar feed.\n", status=404, mimetype="text/plain")
    now = utcnow()
    window = services.window_for(found, now)
    version = services.feed_version(found, window)
    services.note_poll(found, now)
    if not is_resource_modified(request.environ, etag=version.etag, last_modified=version.last_modified):
        return _feed_response(Response(status=304), version)
    return _feed_response(Response(_document(found, window, version), content_type=CALENDAR_TYPE), version)


def _document(feed, window: services.FeedWindow, version: services.FeedVersion) -> bytes:
    """Built from the events stored in the database (shared by every worker): nothing is kept here."""
    refresh = timedelta(minutes=current_app.config["FACILITY_FEED_TTL_MINUTES"])
    return services.feed_document(feed, window, base_url(), refresh)


def _feed_response(response: Response, version: services.FeedVersion) -> Response:
    response.set_etag(version.etag)
    response.last_modified = version.last_modified
    # Private: the URL is the credential. Clients revalidate cheaply with the ETag.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/bookings/<int:booking_id>.ics")
@login_required
def booking_ics(booking_id: int):
    """One booking to add to a calendar by hand (its owner or a manager of its facility)."""
    document, filename = services.booking_document(current_user, booking_id, base_url())
    return download(document, CALENDAR_TYPE, filename)


# --- the subscribe page ------------------------------------------------------------------------


def _follow_choices() -> dict:
    """Option groups: the user's own bookings, then each facility with its resources."""
    choices = {_("Yours"): [(MINE, _("My bookings"))]}
    for facility in list_facilities():
        group = [(f"facility:{facility.key}", _("All of %(facility)s", facility=facility.name))]
        choices[facility.name] = group + [(f"resource:{r.key}", r.name) for r in list_resources(facility)]
    return choices


def _page(form: FeedForm, status: int = 200):
    """The page; CSRF on its small POST forms (revoke, new address) is checked app-wide."""
    feeds = [(f, services.feed_name(f), feed_url(f), webcal_url(f)) for f in services.list_feeds(current_user)]
    fresh = request.args.get("fresh", type=int)
    return render_template("feeds/subscribe.html", form=form, feeds=feeds, fresh_id=fresh), status


@bp.route("/account/calendar-feeds", methods=["GET", "POST"])
@login_required
def subscribe():
    form = FeedForm()
    form.follow.choices = _follow_choices()
    if not form.is_submitted():
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, 400 if "csrf_token" in form.errors else 422)
    try:
        created, _secret = services.create_feed(current_user, *form.scope_and_target(), signing_key())
    except ServiceError as error:
        form.follow.errors = [str(error)]
        return _page(form, error.status)
    flash(_("Your new feed is ready: add its address to your calendar."))
    return redirect(url_for("feeds_pages.subscribe", fresh=created.id, _anchor=f"feed-{created.id}"))


@bp.route("/account/calendar-feeds/<int:feed_id>/revoke", methods=["POST"])
@login_required
def revoke(feed_id: int):
    services.revoke_feed(current_user, feed_id)
    flash(_("Feed removed: its address no longer works, and calendars that subscribed to it stop updating."))
    return redirect(url_for("feeds_pages.subscribe"))


@bp.route("/account/calendar-feeds/<int:feed_id>/regenerate", methods=["POST"])
@login_required
def regenerate(feed_id: int):
    services.regenerate_feed(current_user, feed_id, signing_key())
    flash(_("The feed has a new address; the old one no longer works. Subscribe again with the new one."))
    return redirect(url_for("feeds_pages.subscribe", fresh=feed_id, _anchor=f"feed-{feed_id}"))
