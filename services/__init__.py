"""Domain operations, one module per area, named for what the user does; views and commands call them.

Each operation changes, flushes and gives the audit trail its reason (`audit.reason`); none commits:
the caller's one unit of work does (`unit_of_work.perform`). Import from the module that owns the
operation (`from services.referrals import accept_referral`); this package re-exports nothing.
"""
