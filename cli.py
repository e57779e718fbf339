"""The `flask ...` commands: accounts and their keys, the outbox, chasing, the audit seal, upkeep, demo data. Each runs
as one unit of work."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

import demo
from formats.words import plural
from models import EmailStatus, ListSource, Organisation, OutboxEmail, Role, User, db
from services.accounts import create_user
from services.case_finding import FIELDS
from services.job_locks import JobBusy, claim_job
from services.second_factor import enrol_with_secret, reset_second_factor
from services.unit_of_work import perform


def run(operation):
    """A command's one unit of work: commit, or stop with the refusal in words.

    A scheduled job another run holds (services/job_locks.py) is a quiet skip: it says so and exits 0, since
    another server's timer firing in the same minute is routine, not a failure.
    """
    done = perform(operation, say=False)
    if isinstance(done.error, JobBusy):
        click.echo(done.message)
        raise click.exceptions.Exit(0)
    if not done:
        raise click.ClickException(done.message)
    return done.value


class ProgressBar:
    """A command's progress bar for long work (seeding, the tallies, the chase, a backup): the service reports
    `(done, total)` as it goes; the bar appears at the first report (on a terminal; a cron log gets lines)."""

    def __init__(self, label: str):
        self.label, self.bar, self.done = label, None, 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--organisation", "ods", default=None, help="ODS code; defaults to the ILR team.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option(
    "--totp-secret",
    default=None,
    envvar="ILR_TOTP_SECRET",
    help="The second factor's base32 secret (tests, provisioning); without it the person sets one up at first sign-in.",
)
@with_appcontext
def create_user_command(email, name, role, ods, password, totp_secret):
    """Create a sign-in account."""
    organisation = None
    if ods:
        organisation = db.session.scalars(db.select(Organisation).where(Organisation.ods_code == ods.upper())).first()
        if organisation is None:
            raise click.ClickException(f"No organisation has the ODS code {ods}.")

    def create():
        user = create_user(email, name, role, password, organisation)
        return user, enrol_with_secret(user, totp_secret) if totp_secret else None

    user, codes = run(create)
    click.echo(f"Created {user.role.label} account for {user.email}.")
    if codes:
        click.echo("Second factor set up. Recovery codes (each works once; shown only now):")
        click.echo("  " + "  ".join(codes))
    else:
        click.echo("They set up their second factor (an authenticator app) when they first sign in.")


@click.command("reset-second-factor")
@click.argument("email")
@with_appcontext
def reset_second_factor_command(email):
    """Forget an account's second factor (a lost phone): it signs out everywhere and sets one up at next sign-in."""
    user = db.session.scalars(db.select(User).where(db.func.lower(User.email) == email.strip().lower())).first()
    if user is None:
        raise click.ClickException(f"No account has the email {email}.")
    run(lambda: reset_second_factor(user, by=None))
    click.echo(f"The second factor of {user.email} is reset: they set up a new one when they next sign in.")


@click.command("rotate-secret-keys")
@with_appcontext
def rotate_secret_keys_command():
    """Encrypt every second-factor secret again with the first key of ILR_SECRET_KEYS (put the new key in front)."""
    from services.second_factor import encrypt_secrets_again

    count = run(encrypt_secrets_again)
    click.echo(
        f"{plural(count, 'second-factor secret is', 'second-factor secrets are')} now encrypted with the first key of "
        "ILR_SECRET_KEYS. Once every app "
        "process runs with that key first, the older keys can be removed from the list."
    )


@click.command("send-outbox")
@with_appcontext
def send_outbox_command():
    """Send the emails waiting in the outbox (SMTP settings from the environment); retries failures."""
    from services.outbox import SmtpSettings, send_pending

    settings = SmtpSettings.from_environment()
    if settings is None:
        waiting = db.session.scalar(
            db.select(db.func.count())
            .select_from(OutboxEmail)
            .where(OutboxEmail.status.in_([EmailStatus.pending, EmailStatus.failed]))
        )
        click.echo(
            f"SMTP is not configured (set SMTP_HOST): {plural(waiting, 'email waits', 'emails wait')} in the outbox."
        )
        return
    sent, failed = send_pending(settings)
    click.echo(f"Sent {sent}, failed {failed} (failures are retried later).")


@click.command("chase-overdue")
@click.option("--dry-run", is_flag=True, help="Say what would be sent; send and record nothing.")
@with_appcontext
def chase_overdue_command(dry_run):
    """Email every overdue action's owner, at most once per chase interval (for a daily cron job)."""
    from services.chasing import chase_overdue

    with ProgressBar("Writing chase emails") as progress:
        result = chase_overdue(dry_run=True) if dry_run else run(lambda: chase_overdue(progress=progress))
    verb = "would be sent" if dry_run else "sent"
    for address, actions in result.sent.items():
        click.echo(f"  {address}: {plural(len(actions), 'action')} {verb}")
    # Actions by number, agency and due date only: cron mails this output, and not to a secure address.
    for action, why in result.refused:
        click.echo(f"  not sent: action {action.id} ({action.agency}, due {action.due_on:%d/%m/%Y}): {why}")
    click.echo(
        f"{'Dry run: ' if dry_run else ''}{plural(result.chased, 'action')} {verb} in "
        f"{plural(len(result.sent), 'email')}; "
        f"{len(result.refused)} not sent."
    )


#: The flag `flask seed-demo` needs outside development and test: it says what the risk is.
RISK_FLAG = "--i-understand-this-creates-accounts-with-published-passwords"


@click.command("seed-demo")
@click.option(
    "--patients",
    type=click.IntRange(min=0),
    default=demo.DEFAULT_PATIENTS,
    show_default=True,
    help="Patients to make, each with two years of referrals, meetings, actions and care plans.",
)
@click.option("--seed", type=int, default=demo.DEFAULT_SEED, show_default=True, help="The same seed, the same data.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has data.")
@click.option(
    "--force", is_flag=True, help="Add demo data to a database that already has some (its accounts are left alone)."
)
@click.option(
    RISK_FLAG,
    "risk_understood",
    is_flag=True,
    help="Needed outside development and test: the demo accounts' password and second factor are published.",
)
@with_appcontext
def seed_demo_command(patients, seed, if_empty, force, risk_understood):
    """Load synthetic demo data (never real patients)."""
    from app import DEV_ENVIRONMENTS  # the factory imports this module

    if current_app.config["ILR_ENV"] not in DEV_ENVIRONMENTS and not risk_understood:
        raise click.ClickException(
            f"ILR_ENV is {current_app.config['ILR_ENV']}: demo data opens accounts whose password and second factor "
            f"are published (flask demo-logins prints them). Load it only on a demonstration copy, with {RISK_FLAG}."
        )
    if not demo.database_is_empty():
        if if_empty:
            click.echo("The database already has data: demo data not loaded.")
            return
        if not force:
            raise click.ClickException("The database is not empty: use --force to add demo data anyway.")
    with ProgressBar("Seeding patients") as progress:
        report = run(lambda: demo.seed_demo(patients, seed, progress=progress))
    # Fresh statistics, so the query planner picks the selective indexes (triage: 224 ms to 15 ms at 100k).
    run(lambda: db.session.execute(db.text("ANALYZE")))
    for table, count in report.counts.items():
        click.echo(f"  {table:<22} {count:>10,}")
    click.echo(f"Demo data loaded: {sum(report.counts.values()):,} rows in {report.seconds:.1f} s.")


@click.command("demo-logins")
def demo_logins_command():
    """Print the demo accounts, their password and their second factor (demo data only)."""
    click.echo(f"Demo sign-ins (password for all: {demo.DEMO_PASSWORD}):")
    for email, _name, role, _ in demo.DEMO_ACCOUNTS:
        secret = demo.demo_totp_secret(email)
        click.echo(f"  {role.label:<15} {email}")
        click.echo(f"  {'':<15} second factor: add the key {secret} to an authenticator app (time-based, 6 digits)")
        click.echo(f"  {'':<15} or a recovery code (each works once): {demo.demo_recovery_codes(email)[0]}")
    click.echo("No authenticator app to hand? The code a key gives now:")
    click.echo('  .venv/bin/python -c "import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).now())" KEY')
    click.echo("Open http://127.0.0.1:5000")


@click.command("rebuild-kpi-tallies")
@click.option("--if-out-of-date", is_flag=True, help="Only when the tallies are missing or out of date (nightly).")
@with_appcontext
def rebuild_kpi_tallies_command(if_out_of_date):
    """Count the KPI tallies afresh from the records (after a bulk load, a restore or an update; nightly when out of
    date). Until then the dashboard counts from the records, more slowly, and says so."""
    from services.kpis import tallies

    if if_out_of_date and tallies.is_built():
        click.echo("KPI tallies are up to date.")
        return

    def rebuild(progress):
        claim_job("rebuild-kpi-tallies")  # two servers' nightly timers: one counts, the other says so
        return tallies.rebuild(progress=progress)

    with ProgressBar("Counting the KPI tallies") as progress:
        rows = run(lambda: rebuild(progress))
    click.echo(f"KPI tallies rebuilt: {rows:,} rows.")


@click.command("import-list")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--source", required=True, type=click.Choice([s.value for s in ListSource]), help="Where the list is from."
)
@click.option("--by", "email", required=True, help="The coordinator or team lead importing it (their email).")
@click.option("--create-new", is_flag=True, help="Add the people on the list who are not held as new patients.")
@click.option("--figures-on", default=None, help="The date of the list's eFI and CFS (dd/mm/yyyy; today if not given).")
@click.option("--preview", "preview_only", is_flag=True, help="Show what the import would do, and save nothing.")
@with_appcontext
def import_list_command(path, source, email, create_new, figures_on, preview_only):
    """Import a risk-stratification list (CSV or .xlsx) with the column mapping kept for its source (or guessed from
    the headings): all of it is saved, or none."""
    from pathlib import Path

    from formats.dates import read_date
    from services.case_finding import offered_mapping, preview_list, read_list
    from services.list_import import save_preview

    user = db.session.scalars(db.select(User).where(db.func.lower(User.email) == email.strip().lower())).first()
    if user is None or not user.active or user.role not in (Role.coordinator, Role.team_lead):
        raise click.ClickException(f"{email} is not an active coordinator or team lead account.")
    file, kind = Path(path), ListSource(source)
    try:
        on = read_date(figures_on) if figures_on else None
    except ValueError as exc:
        raise click.ClickException(f"--figures-on: {exc}") from None
    table = run(lambda: read_list(file.read_bytes(), file.name))
    mapping = offered_mapping(kind, table.headings)
    click.echo("Columns: " + ", ".join(f"{FIELDS[name]} = {heading!r}" for name, heading in mapping.items()))
    preview = run(lambda: preview_list(table, mapping, create_new=create_new))
    click.echo(
        f"{plural(preview.rows_read, 'row')}: {len(preview.matched):,} matched by NHS number, {len(preview.new):,} "
        f"not held{' (added as new patients)' if create_new else ' (left out: --create-new adds them)'}, "
        f"{len(preview.refusals):,} refused."
    )
    for reason, count in preview.reasons:
        click.echo(f"  {reason}: {count:,}")
    if preview_only:
        return
    with ProgressBar("Saving the list") as progress:
        record = run(lambda: save_preview(preview, file.name, kind, mapping, user, figures_on=on, progress=progress))
    click.echo(
        f"Imported as list {record.id}: {plural(record.figures_changed, 'patient')} with a newer eFI or CFS, "
        f"{plural(record.events_added, 'hospital event')} added."
    )


@click.command("refresh-bank-holidays")
@with_appcontext
def refresh_bank_holidays_command():
    """Store England & Wales bank holidays afresh from the holidays package (after updating it: a new bank holiday),
    and re-count the KPI tallies that read them."""
    from services.calendar import refresh_bank_holidays

    changed = run(refresh_bank_holidays)
    click.echo(
        f"Bank holidays refreshed: {plural(changed, 'day')} changed." if changed else "Bank holidays are up to date."
    )


@click.command("seal-audit")
@with_appcontext
def seal_audit_command():
    """Seal the audit entries added since the last seal, then make the search words of every entry without them (a
    scheduled job, e.g. nightly)."""
    from services.audit_seal import seal_audit
    from services.search import index_trail

    seal = run(seal_audit)
    click.echo(f"Sealed entries {seal.first_entry_id} to {seal.last_entry_id}." if seal else "Nothing new to seal.")
    made = run(lambda: index_trail(every=True))
    click.echo(f"Search words made for {made:,} audit entries.")


@click.command("verify-audit")
@with_appcontext
def verify_audit_command():
    """Check every seal against the audit entries: the first row that no longer matches is named."""
    from services.audit_seal import verify_audit

    result = verify_audit()
    click.echo(result.message)
    if not result.ok:
        raise SystemExit(1)


#: From SQLite 3.46 `PRAGMA optimize=0x10002` weighs every table from a fresh connection; before that it looks only
#: at tables the same connection has queried (none, in a command), so there ANALYZE does the work.
SQLITE_OPTIMIZE_ALL_TABLES = (3, 46, 0)


def optimise_statement(dialect: str, sqlite_version: tuple[int, ...]) -> str:
    """The statement that refreshes the query planner's statistics on this database."""
    if dialect == "postgresql":
        return "ANALYZE"
    return "PRAGMA optimize=0x10002" if sqlite_version >= SQLITE_OPTIMIZE_ALL_TABLES else "ANALYZE"


def optimise_db() -> str:
    """Refresh the planner's statistics on the app's database, in a unit of work of its own; the statement run."""
    import sqlite3

    statement = optimise_statement(db.engine.dialect.name, sqlite3.sqlite_version_info)
    run(lambda: db.session.execute(db.text(statement)))
    return statement


@click.command("optimise-db")
@with_appcontext
def optimise_db_command():
    """Refresh the query planner's statistics (a nightly job), so lists keep their fast plans as the data grows."""
    click.echo(f"Planner statistics refreshed ({optimise_db()}).")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(path):
    """A consistent copy of the live SQLite database, taken while it is being written (the online backup API)."""
    from services.backups import backup_sqlite

    try:
        with ProgressBar("Copying pages") as progress:
            pages = backup_sqlite(path, progress=progress)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up to {path} ({pages:,} pages). Check it with: flask verify-backup {path}")


@click.command("verify-backup")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def verify_backup_command(path):
    """Check a backup: SQLite's integrity check, the schema revision, and the rows in each table."""
    from services.backups import verify_backup

    report = verify_backup(path)
    for table, count in report.counts.items():
        click.echo(f"  {table:<24} {count:>10,}")
    click.echo(report.message)
    if not report.ok:
        raise SystemExit(1)


COMMANDS = (
    seal_audit_command,
    verify_audit_command,
    backup_command,
    verify_backup_command,
    create_user_command,
    reset_second_factor_command,
    rotate_secret_keys_command,
    send_outbox_command,
    chase_overdue_command,
    seed_demo_command,
    demo_logins_command,
    rebuild_kpi_tallies_command,
    import_list_command,
    refresh_bank_holidays_command,
    optimise_db_command,
)


def register_commands(app: Flask) -> None:
    """Add the `flask ...` commands to the app."""
    for command in COMMANDS:
        app.cli.add_command(command)
