"""The ILR team, an agency of every kind, the domains accredited for patient data, and the localities."""

from __future__ import annotations

from demo.bulk import existing_ids
from demo.context import Context, Locality
from demo.reference import (
    ACCREDITED_DOMAINS,
    AGENCIES,
    ILR_TEAM,
    LOCALITIES,
    LOCALITY_AREAS,
    LOCALITY_WEIGHTS,
    STREET_STEMS,
)
from models import Locality as LocalityRow
from models import Organisation, OrganisationType, SecureDomain


def seed_organisations(ctx: Context) -> None:
    """The ILR team, every agency, their accredited domains, and 3-4 localities with 4-12 GP practices each, named
    for their locality's towns (or a street)."""
    rng = ctx.rng
    ctx.orgs_by_code = existing_ids(Organisation, "ods_code")
    ctx.team_id = _organisation(ctx, *ILR_TEAM)
    for agency in AGENCIES:
        _organisation(ctx, *agency)
    _secure_domains(ctx)
    localities_by_name = existing_ids(LocalityRow, "name")
    practices_each = max(4, min(12, ctx.n // 2500))
    practice_no = 0
    used_names: set[str] = set()
    for index, name in enumerate(LOCALITIES[: 4 if ctx.n >= 5000 else 3]):
        loc_id = localities_by_name.get(name)
        if loc_id is None:
            loc_id = ctx.rows.next_id(LocalityRow)
            ctx.rows.add(LocalityRow, id=loc_id, name=name, **ctx.stamp(ctx.set_up_on))
        loc = Locality(loc_id, name, weight=LOCALITY_WEIGHTS[index], area=LOCALITY_AREAS[name])
        towns = [town for town, _ in loc.area]
        for _ in range(practices_each):
            practice_no += 1
            code = f"Z{81000 + practice_no}"  # ODS-like (a letter and five digits), outside real practice codes
            style = rng.choice(["{} Surgery", "{} Medical Centre", "The {} Practice", "{} Health Centre"])
            label = style.format(rng.choice([rng.choice(STREET_STEMS), rng.choice(towns)]))
            # Two practices with one name read as one in every pick-list: a second gets its town (then its code).
            candidates = [label, *(f"{label}, {town}" for town in towns), f"{label} ({code})"]
            label = next(name for name in candidates if name not in used_names)
            used_names.add(label)
            org_id = _organisation(
                ctx, label, OrganisationType.gp_practice, code, "gp-demo.nhs.net", f"{code.lower()}.admin", loc_id
            )
            # The practice's GPs, by the names their patients' records and the referrals give them.
            people = [ctx.person() for _ in range(rng.randint(3, 6))]
            loc.practices.append({"id": org_id, "gp_people": people, "gps": [f"Dr {g} {f}" for g, f in people]})
        loc.council_id = ctx.orgs_by_type[OrganisationType.social_services][index % 2]
        ctx.localities.append(loc)


def _secure_domains(ctx: Context) -> None:
    """The domains the team lead recorded as accredited (the NHS ones pass through the configured allow-list)."""
    held = existing_ids(SecureDomain, "domain")
    for domain, note in ACCREDITED_DOMAINS:
        if domain not in held:
            ctx.rows.add(
                SecureDomain, id=ctx.rows.next_id(SecureDomain), domain=domain, note=note, **ctx.stamp(ctx.set_up_on)
            )


def _organisation(ctx: Context, name, type_, code, domain, secure, locality_id=None) -> int:
    """The organisation with this ODS code: reused when a forced seed finds it already held."""
    org_id = ctx.orgs_by_code.get(code)
    mailbox = f"{secure}@{domain}" if secure else None
    if org_id is None:
        org_id = ctx.orgs_by_code[code] = ctx.rows.next_id(Organisation)
        ctx.rows.add(
            Organisation,
            id=org_id,
            name=name,
            type=type_,
            ods_code=code,
            locality_id=locality_id,
            secure_email=mailbox,
            **ctx.stamp(ctx.set_up_on),
        )
    ctx.org_domain[org_id] = domain
    ctx.org_mailbox[org_id] = mailbox
    ctx.orgs_by_type[type_].append(org_id)
    return org_id
