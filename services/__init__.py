"""Domain operations, named for what the user does. Views call these; the request commits once.

Each operation changes, flushes and gives the audit trail its reason (`audit.reason`); none commits.
"""

from models import DomainError
from services.accounts import ILR_TEAM_ODS, create_user, deactivate_user, ilr_team, reset_password
from services.patients import find_patients, record_death, withdraw_consent
from services.referrals import (
    acceptance_gaps,
    accept_referral,
    decline_referral,
    give_advice_only,
    open_referrals_for,
    record_referral,
    redirect_referral,
    request_more_information,
    triage_referral,
)

__all__ = [name for name in dir() if not name.startswith("_")]
