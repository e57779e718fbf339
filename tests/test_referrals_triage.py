"""The triage page shows what the referrer said where the decision is made (issue 27): each ILR criterion met or not,
consent and by whom, signposting already tried, whether the patient knows, and the question for the ILR."""

from __future__ import annotations

from datetime import date

from models import REFERRAL_CRITERIA, Consent
from tests.factories import shown


def test_the_decision_page_shows_each_criterion_and_what_the_referrer_said(signed_in, create_referral):
    referral = create_referral(
        question="Can she stay safely at home with more support?",
        criteria_multiple_ltcs=True,
        criteria_frailty=True,
        consent=Consent.given,
        consent_by="Her daughter, with lasting power of attorney",
        consent_on=date(2026, 11, 2),
        signposting_tried="Age UK befriending; falls leaflet given by the practice nurse.",
        patient_aware=True,
    )
    page = shown(signed_in("coordinator").get(f"/admin/triage/details/?id={referral.id}"))
    decision = page.index("Record decision")
    said = page[page.index("What the referrer said") : decision]
    assert "<strong>Met:</strong> Several long-term conditions" in said
    assert "<strong>Met:</strong> Frailty" in said
    for label in ("Complex needs", "Needs span several agencies", "Recent discharge or high use of urgent care"):
        assert f'<span class="text-muted">Not ticked:</span> {label}' in said
    assert said.count("Met:") + said.count("Not ticked:") == len(REFERRAL_CRITERIA)
    assert "Consent given, by Her daughter, with lasting power of attorney on 02/11/2026" in said
    assert "Age UK befriending; falls leaflet given by the practice nurse." in said
    assert 'Patient aware of the referral</dt><dd class="col-sm-9">Yes' in said
    assert "Can she stay safely at home with more support?" in said
    assert "No criterion ticked" not in said


def test_a_referral_with_no_criterion_ticked_says_so(signed_in, create_referral):
    referral = create_referral(signposting_tried=None, patient_aware=None)
    page = shown(signed_in("coordinator").get(f"/admin/triage/details/?id={referral.id}"))
    said = page[page.index("What the referrer said") : page.index("Record decision")]
    assert said.count("Not ticked:") == len(REFERRAL_CRITERIA) and "No criterion ticked." in said
    assert "Not asked" in said  # no question for the ILR
    assert 'Signposting already tried</dt><dd class="col-sm-9 keep-lines">Not recorded' in said
    assert "Not known" in said
