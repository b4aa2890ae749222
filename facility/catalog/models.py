"""Facilities, their resources and the qualifications those resources require."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Optional

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facility.core.database import UTCDateTime
from facility.core.extensions import db

GMP_LEVELS = ("research", "pre-gmp", "gmp")
RESOURCE_KINDS = ("instrument", "room", "cleanroom")
RESOURCE_STATUSES = ("available", "maintenance", "out_of_service")
SERIES_APPROVALS = ("series", "occurrence")  # one approval decision per series, or per occurrence
CLEANROOM_GRADES = ("A", "B", "C", "D")
# The activities of the ERDF application ("ATMP Path2Patient") that equipment belongs to:
# 4.2 LU-ATMP pre-GMP facility, 4.3 SUS GMP unit, 4.4 SmiLe cell lab.
ACTIVITIES = ("4.2", "4.3", "4.4")


class Facility(db.Model):
    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    gmp_level: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(200), default="")
    # {"mon": [["07:00", "19:00"]], ..., "sun": []}; an interval may cross midnight.
    opening_hours: Mapped[dict] = mapped_column(JSON)
    # The country whose public holidays close the facility ("SE"; "DE-BY" with a subdivision), or None.
    public_holidays: Mapped[Optional[str]] = mapped_column(String(16))
    # Further whole local days the facility is closed, as entries (see catalog/closures.py):
    # [{"holiday": "Julafton"}, {"day": "2026-12-23"}, {"from": "2027-07-12", "to": "2027-07-16", "name": "..."}].
    closed_days: Mapped[list] = mapped_column(JSON, default=list)
    no_show_grace_minutes: Mapped[int] = mapped_column(Integer, default=30)
    # The GMP records' settings of instruments.yaml's ``gmp:`` (catalog/schema.py, FacilityGmpSchema).
    gmp_settings: Mapped[Optional[dict]] = mapped_column(JSON)
    # The suites booked with their equipment, as instruments.yaml's ``bundles:`` declares them
    # (catalog/schema.py, BundleSchema): [{"key", "name", "description", "resources": [keys]}], or None.
    bundles: Mapped[Optional[list]] = mapped_column(JSON)

    resources: Mapped[list["Resource"]] = relationship(back_populates="facility", order_by="Resource.key")

    @property
    def is_gmp(self) -> bool:
        return self.gmp_level == "gmp"

    def bundle(self, key: str) -> Optional[dict]:
        """The declared bundle ``key`` of this facility, or None."""
        return next((b for b in self.bundles or [] if b["key"] == key), None)

    def __repr__(self) -> str:
        return f"<Facility {self.key}>"


class Qualification(db.Model):
    __tablename__ = "qualifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<Qualification {self.key}>"


class Resource(db.Model):
    """An instrument, room or cleanroom suite. Rules are stored resolved (facility defaults applied)."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    cleanroom_grade: Mapped[Optional[str]] = mapped_column(String(1))
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    runs_unattended: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where approval is required: one decision for a whole recurring series ("series"), or
    # one per occurrence ("occurrence").
    series_approval: Mapped[str] = mapped_column(String(16), default="series")
    slot_minutes: Mapped[int] = mapped_column(Integer)
    min_minutes: Mapped[int] = mapped_column(Integer)
    max_minutes: Mapped[int] = mapped_column(Integer)
    lead_minutes: Mapped[int] = mapped_column(Integer)
    horizon_days: Mapped[int] = mapped_column(Integer)
    changeover_minutes: Mapped[int] = mapped_column(Integer)
    quota_hours_per_week: Mapped[Optional[int]] = mapped_column(Integer)
    qualification_id: Mapped[Optional[int]] = mapped_column(ForeignKey("qualifications.id"))
    status: Mapped[str] = mapped_column(String(16), default="available")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    # The acquisition value (whole SEK): the nominal value the funder's indicator RCO08 adds up.
    nominal_value_sek: Mapped[int] = mapped_column(Numeric(14, 0), default=0)
    funded_by_programme: Mapped[bool] = mapped_column(Boolean, default=False)
    # The application's activity the resource belongs to (ACTIVITIES), or None, and the day it came into service.
    activity: Mapped[Optional[str]] = mapped_column(String(8))
    in_service_since: Mapped[Optional[date]] = mapped_column(Date)
    # State-aid rates (whole SEK per hour): the full cost, and what each organisation kind is
    # charged ({"company": 900, ...}; a kind left out pays the full cost). Their history,
    # which the de minimis ledger uses, is in ResourceRate.
    full_cost_sek_per_hour: Mapped[Optional[int]] = mapped_column(Integer)
    charged_sek_per_hour: Mapped[Optional[dict]] = mapped_column(JSON)
    retired_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The GMP records' settings of instruments.yaml's ``gmp:`` (catalog/schema.py, ResourceGmpSchema):
    # line clearance, maximum occupancy, maintenance and calibration plans.
    gmp_settings: Mapped[Optional[dict]] = mapped_column(JSON)
    # The keys of the resources of its facility that must be booked together with it (in one
    # bundle, for the same time), or None: an isolator that stands in a cleanroom suite.
    requires: Mapped[Optional[list]] = mapped_column(JSON)

    facility: Mapped[Facility] = relationship(back_populates="resources")
    qualification: Mapped[Optional[Qualification]] = relationship()

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def __repr__(self) -> str:
        return f"<Resource {self.key}>"


class ResourceRate(db.Model):
    """The hourly rates of a resource for one organisation kind, valid from an instant until the
    next row of the same resource and kind. Written by the catalogue loader whenever the rates
    change; the first rates a resource gets are valid from ``RATES_SINCE_ALWAYS`` (they also
    price use recorded before them). Rows without rates (both empty) mean "no rates from here".
    """

    __tablename__ = "resource_rates"
    __table_args__ = (Index("ix_resource_rates_lookup", "resource_id", "organisation_kind", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    organisation_kind: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    full_cost_sek_per_hour: Mapped[Optional[int]] = mapped_column(Integer)
    charged_sek_per_hour: Mapped[Optional[int]] = mapped_column(Integer)

    resource: Mapped[Resource] = relationship()


RATES_SINCE_ALWAYS = datetime(1970, 1, 1, tzinfo=timezone.utc)
