"""Organisations, users, qualifications and personal API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date, timedelta
from functools import cache
from typing import Iterable, Optional

import pyotp
from sqlalchemy import Select, bindparam, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from facility import audit
from facility.accounts import organisations, sessions
from facility.accounts.models import ROLES, ApiToken, Organisation, User, UserQualification, managed_facilities
from facility.accounts.qualifications import EXPIRY_WARNING_DAYS
from facility.accounts.throttle import is_throttled, record_failure
from facility.catalog.models import Facility, Qualification, Resource
from facility.catalog.services import list_facilities
from facility.core.access import require_admin
from facility.core.database import write_transaction
from facility.core.errors import invalid, not_found
from facility.core.extensions import db
from facility.core.time import utcnow
from facility.core.vocabulary import ORGANISATION_KINDS, SIZE_CLASSES
from facility.core.words import N_

TOKEN_PREFIX = "fac_"
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 12  # NIST SP 800-63B: a length floor, no composition rules
MAX_PASSWORD_LENGTH = 256  # long passphrases are welcome; this only bounds the hashing work
TOTP_ROLES = ("manager", "admin")  # who may add a second factor
TOTP_ISSUER = "facility"


def secret_hash(secret: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is a sound one-way lookup key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_organisation(
    key: str,
    name: str,
    kind: str,
    size_class: Optional[str] = None,
    *,
    actor: Optional[User] = None,
    org_number: Optional[str] = None,
) -> Organisation:
    number = organisations.org_number(org_number) if org_number else None
    if kind not in ORGANISATION_KINDS:
        raise invalid("invalid", f"Kind must be one of {', '.join(ORGANISATION_KINDS)}.", "kind")
    if size_class is not None and size_class not in SIZE_CLASSES:
        raise invalid("invalid", f"Size must be one of {', '.join(SIZE_CLASSES)}.", "size")
    if kind == "company" and size_class is None:
        raise invalid("required", N_("A company needs a size class (micro, small, medium or large)."), "size")
    if kind != "company" and size_class is not None:
        raise invalid("invalid", N_("Only a company has a size class."), "size")
    with write_transaction():
        if db.session.scalar(select(Organisation).where(Organisation.key == key)):
            raise invalid("duplicate", N_("An organisation with key '%(key)s' exists already."), "key", key=key)
        if number and db.session.scalar(select(Organisation).where(Organisation.org_number == number)):
            raise invalid(
                "duplicate_org_number",
                N_("Organisation number %(number)s is taken already."),
                "org_number",
                number=org_number,
            )
        organisation = Organisation(key=key, name=name, kind=kind, size_class=size_class, org_number=number)
        db.session.add(organisation)
        after = {"key": key, "name": name, "kind": kind, "size_class": size_class}
        audit.record(
            actor, "organisation.created", organisation, after=after | ({"org_number": number} if number else {})
        )
    return organisation


def create_user(
    email: str,
    name: str,
    organisation_key: str,
    role: str = "scientist",
    *,
    facilities: Iterable[str] = (),
    password: Optional[str] = None,
    is_researcher: bool = True,
    actor: Optional[User] = None,
) -> User:
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email):
        raise invalid("invalid", N_("'%(email)s' is not an e-mail address."), "email", email=email)
    if role not in ROLES:
        raise invalid("invalid", f"Role must be one of {', '.join(ROLES)}.", "role")
    facility_keys = list(dict.fromkeys(facilities))
    if facility_keys and role != "manager":
        raise invalid("invalid", "Only a manager is given facilities to manage.", "facility")
    if role == "manager" and not facility_keys:
        raise invalid("required", "A manager needs at least one facility (--facility KEY).", "facility")
    if password is not None:
        check_password_strength(password, email=email)
    with write_transaction():
        if db.session.scalar(select(User).where(User.email == email)):
            raise invalid("duplicate", N_("A user with e-mail '%(email)s' exists already."), "email", email=email)
        organisation = db.session.scalar(select(Organisation).where(Organisation.key == organisation_key))
        if organisation is None:
            raise not_found("organisation", "organisation")
        user = User(
            email=email,
            name=name,
            organisation=organisation,
            role=role,
            is_researcher=is_researcher,
            facilities=[_facility(key) for key in facility_keys],
            password_hash=generate_password_hash(password) if password else None,
        )
        db.session.add(user)
        audit.record(actor, "user.created", user, after={"email": email, "role": role, "facilities": facility_keys})
    return user


def _facility(key: str) -> Facility:
    facility = db.session.scalar(select(Facility).where(Facility.key == key))
    if facility is None:
        raise not_found("facility", "facility")
    return facility


@cache
def _common_passwords() -> frozenset[str]:
    """Common and breached passwords: zxcvbn's frequency list (30,000 from real leaks), offline."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_strength(password: str, field: str = "password", *, email: str = "") -> None:
    """NIST SP 800-63B: at least ``MIN_PASSWORD_LENGTH`` characters, not a commonly used or
    breached password, not one character repeated, not the e-mail address; no composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise invalid(
            "weak_password", N_("A password needs at least %(least)s characters."), field, least=MIN_PASSWORD_LENGTH
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise invalid(
            "weak_password", N_("A password can have at most %(most)s characters."), field, most=MAX_PASSWORD_LENGTH
        )
    folded = password.casefold()
    if len(set(folded)) == 1:
        raise invalid("weak_password", N_("A password cannot be one character repeated. Choose a passphrase."), field)
    if folded in _common_passwords():
        raise invalid(
            "weak_password", N_("This password is on a list of common or leaked passwords. Choose another."), field
        )
    if email and folded.strip() in {email.casefold(), email.casefold().partition("@")[0]}:
        raise invalid("weak_password", N_("A password cannot be your e-mail address."), field)


def verify_password(user: Optional[User], password: str) -> bool:
    return bool(user and user.password_hash and check_password_hash(user.password_hash, password))


def get_user_by_email(email: str) -> Optional[User]:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def qualify(
    email: str, qualification_key: str, valid_until: date, *, actor: Optional[User] = None
) -> UserQualification:
    """Record (or renew) that a user holds a qualification until ``valid_until``."""
    with write_transaction():
        user = get_user_by_email(email)
        if user is None:
            raise not_found("user", "email")
        qualification = db.session.scalar(select(Qualification).where(Qualification.key == qualification_key))
        if qualification is None:
            raise not_found("qualification", "qualification")
        held = db.session.scalar(
            select(UserQualification).where(
                UserQualification.user_id == user.id, UserQualification.qualification_id == qualification.id
            )
        )
        before = {"valid_until": held.valid_until.isoformat()} if held else None
        if held is None:
            held = UserQualification(user=user, qualification=qualification, valid_until=valid_until)
            db.session.add(held)
        held.valid_until, held.granted_by, held.granted_at = valid_until, actor, utcnow()
        audit.record(
            actor,
            "qualification.granted",
            held,
            before=before,
            after={"user": user.email, "qualification": qualification.key, "valid_until": valid_until.isoformat()},
        )
    return held


def issue_token(email: str, name: str = "command line", *, actor: Optional[User] = None) -> tuple[ApiToken, str]:
    """A new personal API token; the secret is returned once and only its hash is kept."""
    with write_transaction():
        user = get_user_by_email(email)
        if user is None:
            raise not_found("user", "email")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(user=user, name=name, token_hash=secret_hash(secret))
        db.session.add(token)
        audit.record(actor or user, "token.created", token, after={"user": user.email, "name": name})
    return token, secret


def revoke_token(actor: User, token_id: int) -> ApiToken:
    with write_transaction():
        token = db.session.get(ApiToken, token_id)
        if token is None or token.user_id != actor.id or token.revoked_at is not None:
            raise not_found("token")
        token.revoked_at = utcnow()
        audit.record(actor, "token.revoked", token, after={"name": token.name})
    return token


@cache
def _token_statement() -> Select:
    """The token and its user in one statement, built once (every API request runs it)."""
    return (
        select(ApiToken, User).join(User, ApiToken.user_id == User.id).where(ApiToken.token_hash == bindparam("hash"))
    )


def user_for_token(secret: str) -> Optional[User]:
    """The active user owning an unrevoked token, noting when it was last used."""
    row = db.session.execute(_token_statement(), {"hash": secret_hash(secret)}).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or not user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        with write_transaction():  # at most one write a minute per token
            db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return user


def check_signer(actor: User, password: str, address: str) -> None:
    """An electronic signature needs the signer's password, entered again at each signing
    (21 CFR 11.200(a)): refuse (422, field ``password``) a missing or wrong one. Wrong tries
    count like failed sign-ins (per e-mail and address), and too many stop signing a while."""
    if is_throttled(actor.email, address):
        raise invalid("signature_locked", N_("Too many wrong passwords. Wait 15 minutes and try again."), "password")
    if not password:
        raise invalid("password_required", N_("Enter your password to sign."), "password")
    if not verify_password(actor, password):
        record_failure(actor.email, address)
        raise invalid("wrong_password", N_("The password is not correct; nothing was signed."), "password")


# --- added for the web pages: own password, administration, token listing ----------------


def change_password(user: User, current: str, new: str, *, keep_session: Optional[str] = None) -> User:
    """A user changes their own password, proving the current one first. Every other session
    of the user ends (all of them, unless ``keep_session`` names the secret of the caller's)."""
    if not verify_password(user, current):
        raise invalid("wrong_password", N_("The current password is not correct."), "current_password")
    check_password_strength(new, "new_password", email=user.email)
    with write_transaction():
        user = db.session.get(User, user.id)
        user.password_hash = generate_password_hash(new)
        ended = sessions.end_sessions_of(user.id, keep=keep_session)
        audit.record(user, "user.password_changed", user, after={"sessions_ended": ended})
    return user


def list_organisations() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))


def update_user(actor: User, user_id: int, *, role: str, facilities: Iterable[str] = (), active: bool = True) -> User:
    """An administrator sets a user's role, managed facilities and whether they may sign in."""
    require_admin(actor)
    if role not in ROLES:
        raise invalid("invalid", f"Role must be one of {', '.join(ROLES)}.", "role")
    facility_keys = list(dict.fromkeys(facilities))
    if facility_keys and role != "manager":
        raise invalid("invalid", N_("Only a manager is given facilities to manage."), "facilities")
    if role == "manager" and not facility_keys:
        raise invalid("required", N_("A manager needs at least one facility."), "facilities")
    with write_transaction():
        user = db.session.get(User, user_id)
        if user is None:
            raise not_found("user")
        if user.id == actor.id and (role != "admin" or not active):
            raise invalid("invalid", N_("You cannot take away your own administrator rights."), "role")
        before = {"role": user.role, "facilities": [f.key for f in user.facilities], "active": user.active}
        user.role, user.active = role, active
        user.facilities = [_facility(key) for key in facility_keys]
        after = {"role": role, "facilities": facility_keys, "active": active}
        if not active:  # disabled: signed out everywhere at once
            after["sessions_ended"] = sessions.end_sessions_of(user.id)
        audit.record(actor, "user.updated", user, before=before, after=after)
    return user


def list_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def managers_of(facility_ids) -> list[str]:
    """E-mail addresses of the active managers of the facilities: a list of ids, or a select of them."""
    return list(
        db.session.scalars(
            select(User.email)
            .distinct()
            .join(managed_facilities, managed_facilities.c.user_id == User.id)
            .where(managed_facilities.c.facility_id.in_(facility_ids), User.role == "manager", User.active.is_(True))
            .order_by(User.email)
        )
    )


def mail_locales(addresses: Iterable[str]) -> dict[str, Optional[str]]:
    """The locale of each address that is a user's (facility.core.mail looks it up in app.extensions)."""
    addresses = list(addresses)
    return dict(db.session.execute(select(User.email, User.locale).where(User.email.in_(addresses))).all())


def load_user(user_id: str, session_secret: Optional[str] = None) -> Optional[User]:
    """The user of a signed-in session (Flask-Login's user loader, given the session's secret
    from the cookie): only while the session is active in the database and the user may sign in."""
    return sessions.session_user(user_id, session_secret)


# --- the TOTP second factor (RFC 6238) for managers and administrators -------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def _matching_step(secret: str, code: str) -> Optional[int]:
    """The time step whose code ``code`` is (now, or one step either side), or None."""
    code = "".join(code.split())
    if not code.isdigit() or len(code) != 6:
        return None
    totp, now = pyotp.TOTP(secret), utcnow()
    for drift in (0, -1, 1):
        at = now + timedelta(seconds=drift * totp.interval)
        if secrets.compare_digest(totp.at(at), code):
            return totp.timecode(at)
    return None


def _wrong_code():
    return invalid("wrong_code", N_("The code is not correct. Type the 6 digits your app shows now."), "code")


def enable_totp(user: User, secret: str, code: str) -> User:
    """Turn on the second factor after the user proves their app shows the codes of ``secret``."""
    if user.role not in TOTP_ROLES:
        raise invalid("invalid", N_("A second factor is for managers and administrators."), "code")
    step = _matching_step(secret, code)
    if step is None:
        raise _wrong_code()
    with write_transaction():
        user = db.session.get(User, user.id)
        user.totp_secret, user.totp_last_step = secret, step
        audit.record(user, "user.totp_enabled", user)
    return user


def disable_totp(user: User, code: str) -> User:
    """Turn the second factor off, proving it with a current code."""
    if not user.totp_secret:
        raise invalid("invalid", N_("No second factor is set up."), "code")
    if not check_totp(user, code):
        raise _wrong_code()
    with write_transaction():
        user = db.session.get(User, user.id)
        user.totp_secret, user.totp_last_step = None, None
        audit.record(user, "user.totp_disabled", user)
    return user


def reset_totp(email: str, *, actor: Optional[User] = None) -> User:
    """An administrator turns off a user's second factor (a lost phone) and ends their sessions."""
    with write_transaction():
        user = get_user_by_email(email)
        if user is None:
            raise not_found("user", "email")
        user.totp_secret, user.totp_last_step = None, None
        ended = sessions.end_sessions_of(user.id)
        audit.record(actor, "user.totp_reset", user, after={"sessions_ended": ended})
    return user


def check_totp(user: User, code: str) -> bool:
    """Whether ``code`` is the user's current code and was not used before (each code works once)."""
    if not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, code)
    if step is None:
        return False
    with write_transaction():
        # Conditional update: of two requests with the same code, one wins.
        used = db.session.execute(
            update(User)
            .where(User.id == user.id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
            .values(totp_last_step=step)
        ).rowcount
    return used == 1


def grantable_qualifications(actor: User) -> list[Qualification]:
    """Admins grant any qualification; a manager those that their facilities' resources require."""
    query = select(Qualification).order_by(Qualification.name)
    if not actor.is_admin:
        facility_ids = [f.id for f in actor.facilities] if actor.role == "manager" else []
        query = (
            query.join(Resource, Resource.qualification_id == Qualification.id)
            .where(Resource.facility_id.in_(facility_ids))
            .distinct()
        )
    return list(db.session.scalars(query))


def expiring_qualifications(
    today: date, qualifications: Optional[Iterable[Qualification]] = None
) -> list[UserQualification]:
    """Qualifications held that lapse within ``EXPIRY_WARNING_DAYS`` of ``today`` (of these
    ``qualifications`` only, when given), soonest first."""
    query = select(UserQualification).where(
        UserQualification.valid_until >= today,
        UserQualification.valid_until <= today + timedelta(days=EXPIRY_WARNING_DAYS),
    )
    if qualifications is not None:
        query = query.where(UserQualification.qualification_id.in_([q.id for q in qualifications]))
    return list(db.session.scalars(query.order_by(UserQualification.valid_until, UserQualification.id)))


def facilities_managed_by(user: User) -> list[Facility]:
    """The facilities ``user`` manages, in catalogue order (every facility for an administrator)."""
    return [facility for facility in list_facilities() if user.manages(facility)]


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise not_found("user")
    return user
