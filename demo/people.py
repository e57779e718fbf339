"""The demo accounts, a coordinator per locality, and each locality's meeting members."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from demo.bulk import existing_ids
from demo.context import Context, Locality
from demo.reference import (
    ACCREDITED_DOMAINS,
    DEMO_ACCOUNTS,
    DEMO_JOB_TITLES,
    DEMO_PASSWORD,
    MEMBERSHIP,
    demo_recovery_codes,
    demo_totp_secret,
)
from models import Contact, DomainError, MeetingMember, MemberRole, OrganisationType, RecoveryCode, Role, User, db
from services.second_factor import hash_recovery_code


@dataclass
class _Directory:
    """The people already held (a forced second seed reuses them) and the one password hash they share."""

    users_by_email: dict[str, int]
    #: The accounts held before this run: each one reused must be one an earlier run made.
    held_before: frozenset[int]
    contact_of_user: dict[int, int]
    used_members: set[tuple[int, int]]
    password_hash: str


def seed_people(ctx: Context) -> None:
    """The demo accounts, a coordinator per locality, and each locality's members: a GP chair and one per agency."""
    users = existing_ids(User, "email")
    people = _Directory(
        users_by_email=users,
        held_before=frozenset(users.values()),
        contact_of_user=existing_ids(Contact, "user_id"),
        used_members={
            tuple(row) for row in db.session.execute(select(MeetingMember.locality_id, MeetingMember.contact_id))
        },
        # One hash for every demo account (they share the password): hashing is deliberately slow.
        password_hash=generate_password_hash(
            DEMO_PASSWORD, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        ),
    )
    teams = {Role.coordinator: _team(ctx.localities[0]), Role.team_lead: "Integrated Locality Review team"}
    demo_ids = {
        role: _user(
            ctx,
            people,
            email,
            name,
            role,
            ctx.orgs_by_code[code] if code else ctx.team_id,
            job_title=DEMO_JOB_TITLES[role],
            team=teams.get(role),
        )
        for email, name, role, code in DEMO_ACCOUNTS
    }
    ctx.lead_id = demo_ids[Role.team_lead]
    lead_contact = _contact(
        ctx, people, "Lindsay Lead", "ILR team lead", "lead@ilr-demo.nhs.net", ctx.team_id, ctx.lead_id
    )
    for index, loc in enumerate(ctx.localities):
        if index == 0:
            given, family, email = "Casey", "Coordinator", "coordinator@ilr-demo.nhs.net"
            loc.coordinator_id = demo_ids[Role.coordinator]
        else:
            given, family = ctx.person()
            email = _email_for(given, family, index, "ilr-demo.nhs.net")
            loc.coordinator_id = _user(ctx, people, email, f"{given} {family}", Role.coordinator, ctx.team_id,
                                       job_title=DEMO_JOB_TITLES[Role.coordinator], team=_team(loc))  # fmt: skip
        ctx.coordinators.append(loc.coordinator_id)
        coordinator = _contact(
            ctx, people, f"{given} {family}", "ILR coordinator", email, ctx.team_id, loc.coordinator_id
        )
        _member(ctx, people, loc, coordinator, MemberRole.core, 0.97)
        _member(ctx, people, loc, lead_contact, MemberRole.optional, 0.5)
        _gp_members(ctx, people, loc)
        _agency_members(ctx, people, loc, index, demo_ids)


def _gp_members(ctx: Context, people: _Directory, loc: Locality) -> None:
    """Each practice's GPs, as contacts (the named GPs a referral picks from); the first is a GP partner, who sits
    on the meeting for the practice; the first practice's chairs it."""
    for n, practice in enumerate(loc.practices):
        contacts = [
            _contact(
                ctx,
                people,
                name,
                "GP partner" if index == 0 else "GP",
                _email_for(given, family, practice["id"], "gp-demo.nhs.net"),
                practice["id"],
            )
            for index, ((given, family), name) in enumerate(zip(practice["gp_people"], practice["gps"], strict=True))
        ]
        practice["contact"] = contacts[0]
        loc.member_of[practice["id"]] = practice["contact"]
        if n == 0:
            loc.chair_id = practice["contact"]
            _member(ctx, people, loc, loc.chair_id, MemberRole.chair, 0.95)


def _agency_members(ctx: Context, people: _Directory, loc: Locality, index: int, demo_ids: dict[Role, int]) -> None:
    """One member per kind of agency; they own the actions agreed at this locality's meetings."""
    for type_, (title, role, attends) in MEMBERSHIP.items():
        choices = ctx.orgs_by_type[type_]
        org_id = loc.council_id if type_ == OrganisationType.social_services else choices[index % len(choices)]
        given, family = ctx.person()
        email, login = _email_for(given, family, index, ctx.org_domain[org_id]), None
        if index == 0 and org_id == loc.council_id:
            # The demo partner sits on the first locality's meeting as its social worker.
            given, family, email, login = "Pat", "Partner", "partner@social-demo.gov.uk", demo_ids[Role.partner]
        elif index < 2 and type_ in (OrganisationType.fire_rescue, OrganisationType.housing):
            login = _user(
                ctx, people, email, f"{given} {family}", Role.partner, org_id, job_title=title
            )  # more partners
        contact_id = _contact(ctx, people, f"{given} {family}", title, email, org_id, login)
        _member(ctx, people, loc, contact_id, role, attends)
        loc.member_of[org_id] = contact_id
        loc.owners.append((org_id, type_))


def _team(loc: Locality) -> str:
    return f"{loc.name} Integrated Locality Review team"


def _secure_or_none(email: str) -> str | None:
    """The address, when its domain may receive patient details (nhs.net, or one the demo records as accredited)."""
    domain = email.rsplit("@", 1)[-1]
    accredited = [d for d, _ in ACCREDITED_DOMAINS]
    return email if domain == "nhs.net" or domain.endswith(".nhs.net") or domain in accredited else None


def _user(ctx: Context, people: _Directory, email: str, name: str, role: Role, org_id: int, *,
          job_title: str | None = None, team: str | None = None) -> int:  # fmt: skip
    """The account with this email: reused when already held. Its own details (job title, team, telephone, secure
    email) sign the letters it makes."""
    user_id = people.users_by_email.get(email)
    if user_id in people.held_before:
        _refuse_unless_demo(user_id, email)
    elif user_id is None:
        user_id = people.users_by_email[email] = ctx.rows.next_id(User)
        stamp = ctx.stamp(ctx.set_up_on)
        ctx.rows.add(
            User,
            id=user_id,
            email=email,
            name=name,
            role=role,
            organisation_id=org_id,
            password_hash=people.password_hash,
            active=True,
            session_token=secrets.token_hex(16),
            # Every demo account has its second factor set up, as in production (`flask demo-logins` prints it).
            totp_secret=demo_totp_secret(email),
            totp_enrolled_at=stamp["created_at"],
            job_title=job_title,
            team=team,
            phone=f"01632 960{user_id % 1000:03d}",  # Ofcom's range for drama: never a real line
            secure_email=_secure_or_none(email),
            **stamp,
        )
        if any(email == account[0] for account in DEMO_ACCOUNTS):
            for code in demo_recovery_codes(email):
                ctx.rows.add(RecoveryCode, id=ctx.rows.next_id(RecoveryCode), user_id=user_id,
                             code_hash=hash_recovery_code(code), created_at=stamp["created_at"])  # fmt: skip
    return user_id


def _refuse_unless_demo(user_id: int, email: str) -> None:
    """An account already holding a demo address is reused only when the seeder made it (its second factor is the
    demo one): a real account is never taken over as a demo login (`seed-demo --force` leaves it as it was)."""
    if db.session.get(User, user_id).totp_secret != demo_totp_secret(email):
        raise DomainError(
            f"The account {email} is not one the demo data made, so demo data was not loaded: it is left as it was."
        )


def _contact(
    ctx: Context, people: _Directory, name: str, title: str, email: str, org_id: int, user_id: int | None = None
) -> int:
    """A contact; an account's own contact is made once and reused."""
    if user_id is not None and user_id in people.contact_of_user:
        ctx.contact_email.setdefault(people.contact_of_user[user_id], email)
        return people.contact_of_user[user_id]
    contact_id = ctx.rows.next_id(Contact)
    ctx.contact_email[contact_id] = email
    ctx.rows.add(
        Contact,
        id=contact_id,
        name=name,
        job_title=title,
        email=email,
        phone=ctx.rng.choice(ctx.phones),
        organisation_id=org_id,
        user_id=user_id,
        **ctx.stamp(ctx.set_up_on),
    )
    if user_id is not None:
        people.contact_of_user[user_id] = contact_id
    return contact_id


def _member(ctx: Context, people: _Directory, loc: Locality, contact_id: int, role: MemberRole, attends: float) -> None:
    """A standing member of the locality's meeting, and how reliably they come."""
    if (loc.id, contact_id) not in people.used_members:
        people.used_members.add((loc.id, contact_id))
        ctx.rows.add(
            MeetingMember,
            id=ctx.rows.next_id(MeetingMember),
            locality_id=loc.id,
            contact_id=contact_id,
            member_role=role,
            **ctx.stamp(ctx.set_up_on),
        )
    loc.members.append((contact_id, attends, role != MemberRole.optional))


def _email_for(given: str, family: str, tag, domain: str) -> str:
    """A made-up address on the organisation's demo domain."""
    return f"{given}.{family}.{tag}@{domain}".lower().replace("'", "").replace(" ", "")
