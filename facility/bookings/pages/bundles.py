"""Bundle pages: book a suite with its equipment (no JavaScript needed), and one bundle's page.

A member's own pages (booking, cancel, decide) show the other members through the template
global ``bundle_members``; approving, rejecting or cancelling a member decides them all.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from facility.bookings import bundles
from facility.bookings.forms import BundleForm
from facility.bookings.pages import bp
from facility.bookings.pages.book import parse_times
from facility.core.errors import ServiceError
from facility.http.pages import Problems, me

FIELDS = ("bundle", "resources", "start", "end", "project", "batch")


def bundle_choices() -> dict[str, str]:
    return {b["key"]: f"{f.name} — {b['name']}" for f, b in bundles.catalogue_bundles()}


@bp.route("/bundles/book", methods=["GET", "POST"])
def book_bundle():
    form, problems = BundleForm(), Problems()
    form.bundle.choices = bundle_choices()
    if request.method == "GET":
        for name in ("bundle", "start_date", "start_time", "end_date", "end_time"):
            if request.args.get(name):
                getattr(form, name).data = request.args[name]
        return render_template("bookings/book_bundle.html", form=form, problems=problems)
    status = 422
    if form.validate_on_submit():
        facility = None
        try:
            facility = bundles.catalogue_bundle(form.bundle.data or "")[0]
        except ServiceError as error:
            problems.add_service_error(error, ("bundle",))
        times = parse_times(form, ZoneInfo(facility.timezone), problems) if facility else None
        if times:
            try:
                bundle = bundles.request_bundle(
                    me(),
                    bundle_key=form.bundle.data,
                    start=times[0],
                    end=times[1],
                    purpose=form.purpose.data or "",
                    project=(form.project.data or "").strip() or None,
                    batch=(form.batch.data or "").strip() or None,
                )
            except ServiceError as error:
                problems.add_service_error(error, FIELDS)
                status = error.status
            else:
                flash(_("Booked together: %(what)s.", what=", ".join(m.resource.name for m in bundle.members)))
                return redirect(url_for("bookings_pages.bundle_detail", bundle_id=bundle.id))
    else:
        problems.add_form_errors(form)
        status = 400 if "csrf_token" in form.errors else 422
    return render_template("bookings/book_bundle.html", form=form, problems=problems), status


@bp.route("/bundles/<int:bundle_id>")
def bundle_detail(bundle_id: int):
    bundle = bundles.get_bundle(me(), bundle_id)
    members = bundles.members_of(bundle)
    return render_template("bookings/bundle.html", bundle=bundle, members=members, first=members[0])


@bp.app_template_global("bundle_members")
def _bundle_members(booking) -> list:
    """The other bookings of ``booking``'s bundle (empty when it is booked on its own)."""
    if booking.bundle_id is None:
        return []
    return [m for m in bundles.members_of(booking.bundle) if m.id != booking.id]


@bp.app_template_global("catalogue_suites")
def _catalogue_suites(facility) -> list:
    """The suites ``facility`` declares, each with the names of its resources."""
    names = {r.key: r.name for r in facility.resources}
    return [(b, [names.get(k, k) for k in b["resources"]]) for b in facility.bundles or []]
