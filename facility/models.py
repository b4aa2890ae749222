"""Every model, imported in one place so that Alembic and the app see the whole schema."""

from facility.accounts.models import (  # noqa: F401
    ApiToken,
    FailedSignIn,  # noqa: F401
    Organisation,
    User,
    UserQualification,
    managed_facilities,
)
from facility.audit.models import AuditEvent  # noqa: F401
from facility.bookings.models import Blackout, Booking, BookingBundle  # noqa: F401
from facility.catalog.models import Facility, Qualification, Resource, ResourceRate  # noqa: F401
from facility.core.mail import NotificationSent  # noqa: F401
from facility.feeds.models import CalendarFeed, CalendarSource  # noqa: F401
from facility.gmp.models import LogbookEntry, QualificationWithdrawal, RoomEntry  # noqa: F401
from facility.jobs.models import JobLock  # noqa: F401
from facility.usage.models import Project, UsageRecord, project_organisations  # noqa: F401
from facility.waitlist.models import WaitlistEntry  # noqa: F401
