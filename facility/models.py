"""Every model, imported in one place so that Alembic and the app see the whole schema."""

from .accounts.models import ApiToken, Organisation, User, UserQualification, managed_facilities  # noqa: F401
from .audit.models import AuditEvent  # noqa: F401
from .bookings.models import Blackout, Booking  # noqa: F401
from .catalog.models import Facility, Qualification, Resource, ResourceRate  # noqa: F401
from .feeds.models import CalendarFeed, CalendarSource  # noqa: F401
from .jobs.models import JobLock, NotificationSent  # noqa: F401
from .usage.models import Project, UsageRecord, project_organisations  # noqa: F401
from .web.models import FailedSignIn  # noqa: F401
