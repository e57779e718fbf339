"""The care-plan page per patient (PRSB PCSP): a draft edited with autosave, agreed and frozen, versions compared,
documents made, and the letter and plan sent to the GP; the team's letterhead upload."""

from __future__ import annotations

import io

from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from access import READERS, STAFF, TEAM_LEAD, get_or_404
from admin.base import SecureView
from formats.numbers import record_id
from models import (
    AuditAction,
    CarePlan,
    CarePlanState,
    DomainError,
    Goal,
    GoalDomain,
    GoalStatus,
    Patient,
)
from security.letterhead import in_words
from services import audit, care_plans, documents
from services.accounts import missing_details
from services.care_plan_documents import care_plan_context
from services.care_plans import PLAN_FIELDS, PLAN_LIMITS
from services.documents import DOCX
from services.unit_of_work import perform
from web.forms import AppForm, DateField, WholeNumberField, one_character_line_breaks


def _choices(enum) -> list[tuple[str, str]]:
    return [("", "")] + [(m.value, m.label) for m in enum]


class CarePlanDraftForm(AppForm):
    """A draft's text; an autosave posts only the fields being typed, so only posted ones are saved. A line break is
    one character, as the page's counter counts it (browsers send two)."""

    about_me = TextAreaField(filters=[one_character_line_breaks])
    what_matters = TextAreaField(filters=[one_character_line_breaks])
    support_by_agency = TextAreaField(filters=[one_character_line_breaks])
    contingency_plan = TextAreaField(filters=[one_character_line_breaks])
    carers_and_contacts = TextAreaField(filters=[one_character_line_breaks])
    involved = TextAreaField(filters=[one_character_line_breaks])
    notes_for_professionals = TextAreaField(filters=[one_character_line_breaks])
    review_on = DateField(validators=[Optional()])
    expected_version = WholeNumberField(validators=[Optional()])

    def typed(self) -> dict:
        fields = {name: self[name].data or "" for name in PLAN_FIELDS if self[name].raw_data}
        if self.review_on.raw_data:
            fields["review_on"] = self.review_on.data
        return fields


class GoalForm(AppForm):
    """A goal in the person's words, added to or edited on a draft (inline)."""

    description = StringField()
    domain = SelectField(choices=_choices(GoalDomain), validate_choice=False)
    target_on = DateField(validators=[Optional()])
    status = SelectField(choices=_choices(GoalStatus), validate_choice=False)
    expected_version = WholeNumberField(validators=[Optional()])

    def enum(self, name, enum):
        return enum(self[name].data) if self[name].data in {m.value for m in enum} else None


class GoalMoveForm(AppForm):
    """Moving a draft's goal one place up or down its list."""

    direction = SelectField(choices=[("up", "Up"), ("down", "Down")], validate_choice=False)


class GoalProgressForm(AppForm):
    """Progress on a goal of an agreed plan: a status, its date and a note."""

    status = SelectField(choices=_choices(GoalStatus), validate_choice=False)
    recorded_on = DateField(validators=[Optional()])
    note = StringField()


class AgreeForm(AppForm):
    """Agreeing a draft: with whom (the patient, their carer) and when."""

    agreed_with = StringField()
    agreed_on = DateField(validators=[Optional()])


class CompareForm(AppForm):
    """Two version numbers to set side by side (read from the query string)."""

    a = WholeNumberField(validators=[Optional()])
    b = WholeNumberField(validators=[Optional()])


class ConfirmForm(AppForm):
    """A button press with nothing else to read (starting a draft, sending to the GP)."""


DOCUMENTS = {
    "plan": "the care plan",
    "patient": "the patient's copy",
    "patient-large-print": "the patient's copy in large print",
    "letter": "the GP letter",
}


class CarePlanPageView(SecureView):
    """`/admin/care-plan/<patient id>/`: the patient's plan, its versions, its documents and the send to the GP."""

    roles = READERS

    def is_visible(self) -> bool:
        return False  # reached from the patient's page

    def _patient(self, patient_id: int) -> Patient:
        return get_or_404(Patient, patient_id, include_archived=True)

    def _plan(self, plan_id: int) -> CarePlan:
        return get_or_404(CarePlan, plan_id, include_archived=True)

    def _goal(self, goal_id: int) -> Goal:
        return get_or_404(Goal, goal_id, include_archived=True)  # seen through its plan (Goal.scope_parent)

    def _back(self, plan: CarePlan):
        return redirect(url_for(".patient", patient_id=plan.patient_id, v=plan.number))

    @expose("/")
    def index(self):
        return redirect(url_for("admin.index"))

    @expose("/<int:patient_id>/")
    def patient(self, patient_id: int):
        return self._page(self._patient(patient_id), record_id(request.args.get("v")))

    def _page(self, patient: Patient, wanted: int | None, agree_form: AgreeForm | None = None):
        """The plan page at version `wanted` (else the latest); a refused agree comes back with what was typed."""
        all_versions = care_plans.versions(patient)
        plan = next((p for p in all_versions if p.number == wanted), all_versions[0] if all_versions else None)
        audit.record(AuditAction.view, table="care_plan", record_id=plan.id if plan else None, patient_id=patient.id,
                     detail="care plan page")  # fmt: skip
        support = {}
        if plan is not None:
            support = care_plan_context(plan).support
        return self.render(
            "admin/care_plan.html", patient=patient, plan=plan, versions=all_versions, fields=PLAN_FIELDS,
            limits=PLAN_LIMITS, support=support, domains=GoalDomain, statuses=GoalStatus, agreed=CarePlanState.agreed,
            barrier=documents.gp_send_barrier(next((p for p in all_versions if p.state == CarePlanState.agreed), None)),
            staff=current_user.role in STAFF, documents=DOCUMENTS, signature_missing=missing_details(current_user),
            agree_form=agree_form or AgreeForm(formdata=None),
        )  # fmt: skip

    @expose("/<int:patient_id>/edit", methods=("POST",))
    def edit(self, patient_id: int):
        """Edit: the open draft, or a new draft copied from the latest version, goals included."""
        self.require(STAFF)
        patient = self._patient(patient_id)
        ConfirmForm()
        done = self.perform(lambda: care_plans.draft_for(patient, current_user))
        return self._back(done.value) if done else redirect(url_for(".patient", patient_id=patient.id))

    @expose("/plan/<int:plan_id>/draft", methods=("POST",))
    def draft(self, plan_id: int):
        """Autosave as the coordinator types (JSON), refused over someone else's newer save (409, with theirs)."""
        self.require(STAFF)
        plan = self._plan(plan_id)
        form = CarePlanDraftForm()
        typed, expected = form.typed(), form.expected_version.data
        done = perform(lambda: care_plans.save_draft(plan, typed, current_user, expected), say=False)
        if done:
            return jsonify(saved=True, version=plan.version)
        if isinstance(done.error, care_plans.CarePlanChanged):
            changed = done.error
            return jsonify(saved=False, conflict=True, message=done.message, version=changed.version,
                           theirs=changed.theirs), 409  # fmt: skip
        return jsonify(saved=False, message=done.message), 400

    @expose("/plan/<int:plan_id>/save", methods=("POST",))
    def save(self, plan_id: int):
        """The draft's form without scripts: the same save, then back to the page."""
        self.require(STAFF)
        plan = self._plan(plan_id)
        form = CarePlanDraftForm()
        typed, expected = form.typed(), form.expected_version.data
        self.perform(lambda: care_plans.save_draft(plan, typed, current_user, expected), "Care plan saved.")
        return self._back(plan)

    @expose("/plan/<int:plan_id>/goal", methods=("POST",))
    def add_goal(self, plan_id: int):
        self.require(STAFF)
        plan = self._plan(plan_id)
        form = GoalForm()
        self.perform(
            lambda: care_plans.add_goal(
                plan, form.description.data, form.enum("domain", GoalDomain), form.target_on.data, current_user
            ),
            "Goal added.",
        )
        return self._back(plan)

    @expose("/goal/<int:goal_id>/edit", methods=("POST",))
    def edit_goal(self, goal_id: int):
        self.require(STAFF)
        goal = self._goal(goal_id)
        form = GoalForm()
        self.perform(
            lambda: care_plans.edit_goal(
                goal, form.description.data, form.enum("domain", GoalDomain), form.target_on.data,
                form.enum("status", GoalStatus), current_user, form.expected_version.data,
            ),
            "Goal saved.",
        )  # fmt: skip
        return self._back(goal.care_plan)

    @expose("/goal/<int:goal_id>/remove", methods=("POST",))
    def remove_goal(self, goal_id: int):
        """Take a goal off a draft (one added twice, or no longer wanted)."""
        self.require(STAFF)
        goal = self._goal(goal_id)
        plan = goal.care_plan
        ConfirmForm()
        self.perform(lambda: care_plans.remove_goal(goal, current_user), "Goal removed from the draft.")
        return self._back(plan)

    @expose("/goal/<int:goal_id>/move", methods=("POST",))
    def move_goal(self, goal_id: int):
        """A draft's goal one place up or down its list."""
        self.require(STAFF)
        goal = self._goal(goal_id)
        up = GoalMoveForm().direction.data == "up"
        self.perform(lambda: care_plans.move_goal(goal, up, current_user), f"Goal moved {'up' if up else 'down'}.")
        return self._back(goal.care_plan)

    @expose("/goal/<int:goal_id>/progress", methods=("POST",))
    def goal_progress(self, goal_id: int):
        self.require(STAFF)
        goal = self._goal(goal_id)
        form = GoalProgressForm()
        status = GoalStatus(form.status.data) if form.status.data in {m.value for m in GoalStatus} else None
        self.perform(
            lambda: care_plans.record_goal_update(goal, status, form.recorded_on.data, form.note.data, current_user),
            "Progress recorded.",
        )
        return self._back(goal.care_plan)

    @expose("/plan/<int:plan_id>/agree", methods=("POST",))
    def agree(self, plan_id: int):
        self.require(STAFF)
        plan = self._plan(plan_id)
        form = AgreeForm()

        def agree():
            if not (form.agreed_with.data or "").strip():
                raise DomainError("Say with whom the plan was agreed: the patient, their carer...")
            return care_plans.agree_care_plan(
                plan, current_user, form.agreed_on.data, agreed_with=form.agreed_with.data
            )

        if self.perform(agree, f"Care plan version {plan.number} agreed: it is now frozen."):
            return self._back(plan)
        return self._page(plan.patient, plan.number, agree_form=form)  # refused: everything typed stays

    @expose("/<int:patient_id>/compare")
    def compare(self, patient_id: int):
        """Two versions side by side, what changed marked."""
        patient = self._patient(patient_id)
        form = CompareForm(request.args)
        by_number = {p.number: p for p in care_plans.versions(patient)}
        before, after = by_number.get(form.a.data), by_number.get(form.b.data)
        if before is None or after is None:
            flash("Choose two versions of this plan to compare.", "error")
            return redirect(url_for(".patient", patient_id=patient.id))
        audit.record(AuditAction.view, table="care_plan", record_id=after.id, patient_id=patient.id,
                     detail=f"care plan versions {before.number} and {after.number} compared")  # fmt: skip
        return self.render("admin/care_plan_compare.html", patient=patient, before=before, after=after,
                           rows=care_plans.compare(before, after))  # fmt: skip

    @expose("/plan/<int:plan_id>/document/<what>")
    def document(self, plan_id: int, what: str):
        """The care plan, the patient's copy or the GP letter (.docx); each is recorded."""
        self.require(STAFF)
        plan = self._plan(plan_id)
        if what not in DOCUMENTS:
            abort(404)

        def make():
            if what == "letter":
                return documents.generate_gp_letter(plan, current_user)
            return documents.generate_care_plan(
                plan, current_user, for_patient=what.startswith("patient"), large_print=what == "patient-large-print"
            )

        done = perform(make, say=False)
        if not done:
            flash(done.message, "error")
            return self._back(plan)
        return send_file(io.BytesIO(done.value.content), mimetype=DOCX, as_attachment=True,
                         download_name=done.value.filename)  # fmt: skip

    @expose("/<int:patient_id>/send-to-gp", methods=("POST",))
    def send_to_gp(self, patient_id: int):
        """The outcome letter and the latest agreed plan to the practice's secure address, through the outbox."""
        self.require(STAFF)
        patient = self._patient(patient_id)
        ConfirmForm()
        agreed = next((p for p in care_plans.versions(patient) if p.state == CarePlanState.agreed), None)

        def send():
            barrier = documents.gp_send_barrier(agreed)
            if barrier:
                raise DomainError(barrier)
            return documents.send_to_gp(agreed, current_user)

        self.perform(send, lambda share: f"The letter and care plan version {share.care_plan.number} are in the outbox "
                                         f"for {share.shared_with.name}.")  # fmt: skip
        return redirect(url_for("record.patient", patient_id=patient.id))


class LetterheadForm(AppForm):
    """The team's base document (.docx)."""

    document = FileField()


class LetterheadView(SecureView):
    """`/admin/letterhead/`: the team lead uploads the base document every Word document starts from."""

    roles = TEAM_LEAD

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = LetterheadForm()
        if request.method == "POST":
            upload = form.document.data
            content = upload.read(documents.BASE_DOCUMENT_LIMIT + 1) if upload else b""
            filename = upload.filename if upload else ""
            done = self.perform(
                lambda: (
                    documents.upload_base_document(filename, content, current_user)
                    if content
                    else documents.check_base_document(b"")
                ),
                "Letterhead uploaded: every document now starts from it.",
            )
            if done:
                return redirect(url_for(".index"))
        current = documents.current_letterhead()
        problems = documents.stored_letterhead_problems(current.content) if current else ()
        return self.render("admin/letterhead.html", form=form, current=current, problems=in_words(list(problems)))


def register(admin) -> None:
    admin.add_view(CarePlanPageView(name="Care plan", endpoint="care_plan_page", url="/admin/care-plan"))
    admin.add_view(
        LetterheadView(name="Letterhead", category="Administration", endpoint="letterhead", url="/admin/letterhead")
    )
