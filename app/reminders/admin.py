"""The office's reminder pages: plans per topic, a business's own choices, and the reminders' wording.

`register(admin)` is found by `create_admin` like every feature's `admin.py`; "Payment deadlines"
(`admin_calendar`) joins the same "Reminders" category. Every change is audited as the signed-in
staff member.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, flash, redirect, request, url_for
from flask_admin import Admin, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import delete, func, or_, select
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)

from app.accounts.contractor_admin import CHANNEL_LABELS, OBLIGATION_KIND_LABELS, STATUS_LABELS
from app.accounts.models import Contractor, Unit
from app.core import audit
from app.core.admin import SecureBaseView, staff_id, staff_label
from app.core.audit import AuditEntry
from app.core.clock import utcnow
from app.core.db import transactional
from app.core.extensions import db
from app.core.roles import Role
from app.reminders.admin_calendar import templates
from app.reminders.content import PLACEHOLDERS
from app.reminders.models import (
    ACCOUNT_CHANGES,
    ReminderPlan,
    ReminderPreference,
    ReminderText,
    ReminderUnitSetting,
)
from app.reminders.preferences import (
    CHANNELS,
    REMINDED_KINDS,
    TOPICS,
    Schedule,
    ScheduleError,
    plan_for,
    preferences_of,
    reset_preference,
    save_plan,
    save_preference,
)

#: Who sees the pages, who changes plans, choices and texts, who decides about amounts in emails.
VIEW_ROLES = (Role.ADMIN, Role.COMMUNICATOR, Role.APPROVER, Role.FINANCE)
EDIT_ROLES = (Role.ADMIN, Role.COMMUNICATOR)
UNIT_ROLES = (Role.ADMIN,)
SEARCH_LIMIT = 25

TOPIC_LABELS = {**{str(k): OBLIGATION_KIND_LABELS[k] for k in REMINDED_KINDS}, ACCOUNT_CHANGES: _l("account changes")}
PURPOSES = ("due", "overdue", "changes")
PURPOSE_LABELS = {"due": _l("Reminder before the deadline"), "overdue": _l("Overdue notice"),
                  "changes": _l("Account-change notice")}
SOURCE_LABELS = {"portal": _l("the business portal"), "admin": _l("office staff"), "api": _l("an integration (API)")}
#: What each placeholder of an office text stands for, and which a purpose may use.
PLACEHOLDER_LABELS = {
    "nazwa": _l("the business's name"),
    "terminy": _l("the list of obligations and their due dates"),
    "termin": _l("the earliest due date"),
    "link": _l("the link to the business portal"),
    "jednostka": _l("the unit's name"),
    "zmiany": _l("the list of account changes"),
}
TEXT_PLACEHOLDERS = {"due": PLACEHOLDERS, "overdue": PLACEHOLDERS, "changes": ("nazwa", "zmiany", "link", "jednostka")}
EXAMPLE_VALUES = {"nazwa": "Piekarnia Pod Lipą", "terminy": "16.03.2026 – podatek od nieruchomości",
                  "termin": "16.03.2026", "link": "https://example.org/portal", "jednostka": "Urząd Miasta",
                  "zmiany": "nowy termin płatności: 30.04.2026"}
SANDBOX = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)

T = TypeVar("T")


@transactional
def as_staff(run: Callable[[], T]) -> T:
    """Run a reminders service in this transaction; the audit entries it writes name the staff member.

    The preference services audit as "system"; the page knows who acted.
    """
    before = set(db.session.new)
    result = run()
    for entry in set(db.session.new) - before:
        if isinstance(entry, AuditEntry) and entry.actor_type == "system":
            entry.actor_type, entry.actor_id, entry.actor_label = "staff", staff_id(), staff_label()
    return result


def _audit(action: str, target: str, **details: Any) -> None:
    audit.record(action, actor_type="staff", actor_id=staff_id(), actor_label=staff_label(), target=target,
                 **details)


# -- schedules -------------------------------------------------------------------------------------


class ScheduleForm(FlaskForm):
    """One topic's reminders; `check` judges the values, so a wrong one comes back as typed."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST; the page's forms carry its token

    days_before = StringField(_l("Days before the deadline"))
    days_after = StringField(_l("Days after the deadline (overdue notice)"))
    channels = SelectMultipleField(_l("Channels"), choices=[(c, CHANNEL_LABELS[c]) for c in CHANNELS],
                                   validate_choice=False, widget=widgets.ListWidget(prefix_label=False),
                                   option_widget=widgets.CheckboxInput())
    hour = SelectField(_l("Hour (Warsaw time)"), choices=[(str(h), f"{h:02d}:00") for h in range(24)],
                       validate_choice=False)
    enabled = BooleanField(_l("Send these reminders"))


def schedule_form(topic: str, schedule: Schedule | None = None) -> ScheduleForm:
    """The topic's form: the posted values, else those of `schedule`."""
    if schedule is None:
        return ScheduleForm(prefix=topic)
    return ScheduleForm(prefix=topic, formdata=None, data={
        "days_before": ", ".join(map(str, sorted(schedule.days_before, reverse=True))),
        "days_after": ", ".join(map(str, sorted(schedule.days_after))),
        "channels": list(schedule.channels), "hour": str(schedule.hour), "enabled": schedule.enabled})


def _tokens(raw: str | None) -> list[str]:
    return [t for t in re.split(r"[,;\s]+", raw or "") if t]


def schedule_of(form: ScheduleForm, topic: str) -> Schedule:
    """The schedule a posted form asks for (account changes have no days nor hour)."""
    raw_hour = (form.hour.data or "").strip()
    hour: Any = int(raw_hour) if raw_hour.isdigit() else raw_hour
    if topic == ACCOUNT_CHANGES:
        return Schedule([], [], list(form.channels.data or []), plan_for(topic).hour, form.enabled.data)
    return Schedule(_tokens(form.days_before.data), _tokens(form.days_after.data), list(form.channels.data or []),
                    hour, form.enabled.data)


def show_errors(form: ScheduleForm, error: ScheduleError) -> None:
    """Put each of the service's complaints next to its field."""
    for name, message in error.errors.items():
        if name in form:
            form[name].errors = [message]
        else:
            flash(message, "danger")


def _may_edit() -> bool:
    return current_user.has_role(*EDIT_ROLES)


def _editors_only() -> None:
    if not _may_edit():
        abort(403)


def _topic_or_404(topic: str) -> str:
    if topic not in TOPICS:
        abort(404)
    return topic


class ReminderPlanView(SecureBaseView):
    """The office's plan per topic: when, how and whether businesses are reminded."""

    required_roles = VIEW_ROLES

    @expose("/")
    def index(self):
        """Every topic's plan, with a form per topic for those who may change it."""
        return self._page()

    @expose("/<topic>/", methods=("POST",))
    def save_view(self, topic: str):
        """Save one topic's plan; a wrong value comes back marked, and nothing is saved."""
        _editors_only()
        form = schedule_form(_topic_or_404(topic))
        try:
            as_staff(lambda: save_plan(topic, schedule_of(form, topic), user=current_user._get_current_object()))
        except ScheduleError as error:
            show_errors(form, error)
            flash(_("The plan for %(topic)s was not saved: correct the marked fields.",
                    topic=TOPIC_LABELS[topic]), "danger")
            return self._page((topic, form))
        flash(_("The plan for %(topic)s was saved.", topic=TOPIC_LABELS[topic]), "success")
        return redirect(self.get_url(".index") + f"#plan-{topic}")

    def _page(self, posted: tuple[str, ScheduleForm] | None = None):
        rows = {row.topic: row for row in db.session.scalars(select(ReminderPlan))}
        plans = []
        for topic in TOPICS:
            schedule = plan_for(topic)
            form = posted[1] if posted and posted[0] == topic else schedule_form(topic, schedule)
            plans.append({"topic": topic, "label": TOPIC_LABELS[topic], "schedule": schedule,
                          "row": rows.get(topic), "form": form})
        return self.render("reminders/admin/plans.html", plans=plans, may_edit=_may_edit(),
                           channel_labels=CHANNEL_LABELS, changes=ACCOUNT_CHANGES)


# -- a business's own choices ----------------------------------------------------------------------


def find_businesses(query: str) -> list[Contractor]:
    """Contractors whose NIP or legacy id is `query`, or whose name contains it."""
    text = query.strip()
    digits = re.sub(r"[\s-]", "", text).upper().removeprefix("PL")
    conditions = [func.lower(Contractor.name).contains(text.lower(), autoescape=True),
                  func.lower(Contractor.legacy_id) == text.lower()]
    if digits.isdigit():
        conditions.append(Contractor.nip == digits)
    return list(db.session.scalars(select(Contractor).where(or_(*conditions))
                                   .order_by(Contractor.name, Contractor.id).limit(SEARCH_LIMIT)))


class ReminderPreferenceView(SecureBaseView):
    """What reminders reach one business: its own choice per topic, or the office's plan."""

    required_roles = VIEW_ROLES

    @expose("/")
    def index(self):
        """Find a business by NIP, name or legacy id."""
        query = request.args.get("q", "").strip()
        return self.render("reminders/admin/preferences.html", query=query, contractor=None,
                           found=find_businesses(query) if query else [], status_labels=STATUS_LABELS)

    @expose("/<int:contractor_id>/")
    def business_view(self, contractor_id: int):
        """The business's reminders per topic."""
        return self._page(self._contractor_or_404(contractor_id))

    @expose("/<int:contractor_id>/<topic>/", methods=("POST",))
    def save_view(self, contractor_id: int, topic: str):
        """Set the business's own reminders for a topic (they replace the office's plan for it)."""
        _editors_only()
        contractor = self._contractor_or_404(contractor_id)
        form = schedule_form(_topic_or_404(topic))
        try:
            as_staff(lambda: save_preference(contractor.id, topic, schedule_of(form, topic), source="admin"))
        except ScheduleError as error:
            show_errors(form, error)
            flash(_("The choice for %(topic)s was not saved: correct the marked fields.",
                    topic=TOPIC_LABELS[topic]), "danger")
            return self._page(contractor, (topic, form))
        flash(_("%(name)s now has its own reminders for %(topic)s.", name=contractor.name,
                topic=TOPIC_LABELS[topic]), "success")
        return redirect(self.get_url(".business_view", contractor_id=contractor.id) + f"#topic-{topic}")

    @expose("/<int:contractor_id>/<topic>/reset/", methods=("POST",))
    def reset_view(self, contractor_id: int, topic: str):
        """Drop the business's own choice for a topic: the office's plan applies again."""
        _editors_only()
        contractor = self._contractor_or_404(contractor_id)
        as_staff(lambda: reset_preference(contractor.id, _topic_or_404(topic), source="admin"))
        flash(_("%(name)s gets the office's plan for %(topic)s again.", name=contractor.name,
                topic=TOPIC_LABELS[topic]), "success")
        return redirect(self.get_url(".business_view", contractor_id=contractor.id) + f"#topic-{topic}")

    @staticmethod
    def _contractor_or_404(contractor_id: int) -> Contractor:
        contractor = db.session.get(Contractor, contractor_id)
        if contractor is None:
            abort(404)
        return contractor

    def _page(self, contractor: Contractor, posted: tuple[str, ScheduleForm] | None = None):
        own = {p.topic: p for p in db.session.scalars(
            select(ReminderPreference).where(ReminderPreference.contractor_id == contractor.id))}
        topics = []
        for topic, schedule in preferences_of(contractor.id).items():
            form = posted[1] if posted and posted[0] == topic else schedule_form(topic, schedule)
            topics.append({"topic": topic, "label": TOPIC_LABELS[topic], "schedule": schedule,
                           "own": own.get(topic), "form": form})
        return self.render("reminders/admin/preferences.html", query="", found=[], contractor=contractor,
                           topics=topics, may_edit=_may_edit(), channel_labels=CHANNEL_LABELS,
                           source_labels=SOURCE_LABELS, status_labels=STATUS_LABELS, changes=ACCOUNT_CHANGES,
                           details_url=url_for("contractors.details_view", id=contractor.id))


# -- texts and unit settings -----------------------------------------------------------------------


class TextForm(FlaskForm):
    """The office's wording of one purpose on one channel."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST

    subject = StringField(_l("Subject"))
    body = TextAreaField(_l("Text"), render_kw={"rows": 6})


def template_problem(purpose: str, value: str) -> str | None:
    """What keeps a text from being used as the purpose's template (None: nothing)."""
    try:
        parsed = SANDBOX.parse(value)
    except TemplateSyntaxError as error:
        return _("This is not a valid template (line %(line)d): %(problem)s", line=error.lineno,
                 problem=error.message)
    allowed = TEXT_PLACEHOLDERS[purpose]
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(allowed))
    if unknown:
        return _("Unknown placeholder %(names)s. This text may use: %(allowed)s.",
                 names=", ".join(f"{{{{ {name} }}}}" for name in unknown),
                 allowed=", ".join(f"{{{{ {name} }}}}" for name in allowed))
    try:
        SANDBOX.from_string(value).render(EXAMPLE_VALUES)
    except Exception as error:  # noqa: BLE001 - any failure of the sandbox is the text's problem
        return _("The text cannot be filled in: %(problem)s", problem=str(error))
    return None


def text_errors(purpose: str, channel: str, subject: str, body: str) -> dict[str, str]:
    """Field name -> what is wrong, for an office text."""
    errors = {}
    if not body.strip():
        errors["body"] = _("Write the text, or restore the built-in one.")
    elif len(body) > 4000:
        errors["body"] = _("The text may have at most %(max)d characters.", max=4000)
    elif problem := template_problem(purpose, body):
        errors["body"] = problem
    if channel == "email" and subject:
        if len(subject) > 255:
            errors["subject"] = _("The subject may have at most %(max)d characters.", max=255)
        elif problem := template_problem(purpose, subject):
            errors["subject"] = problem
    return errors


def _text(purpose: str, channel: str) -> ReminderText | None:
    return db.session.scalar(select(ReminderText).where(ReminderText.purpose == purpose,
                                                        ReminderText.channel == channel))


@transactional
def save_text(purpose: str, channel: str, subject: str | None, body: str) -> ReminderText:
    """Store the office's wording of a purpose on a channel; audited."""
    row = _text(purpose, channel)
    if row is None:
        row = ReminderText(purpose=purpose, channel=channel)
        db.session.add(row)
    row.subject, row.body = (subject or None) if channel == "email" else None, body
    row.updated_at, row.updated_by_id = utcnow(), staff_id()
    _audit("reminders.text_saved", f"text:{purpose}:{channel}", subject=row.subject, body=body)
    return row


@transactional
def restore_text(purpose: str, channel: str) -> None:
    """Use the built-in wording again; audited."""
    db.session.execute(delete(ReminderText).where(ReminderText.purpose == purpose, ReminderText.channel == channel))
    _audit("reminders.text_restored", f"text:{purpose}:{channel}")


@transactional
def save_unit_settings(amounts: dict[int, bool]) -> int:
    """Set per unit whether emails may name amounts; audits each change, returns how many changed."""
    rows = {s.unit_id: s for s in db.session.scalars(select(ReminderUnitSetting))}
    changed = 0
    for unit_id, allowed in amounts.items():
        row = rows.get(unit_id)
        if (row.amounts_in_email if row else False) == allowed:
            continue
        if row is None:
            row = ReminderUnitSetting(unit_id=unit_id)
            db.session.add(row)
        row.amounts_in_email = allowed
        changed += 1
        _audit("reminders.unit_setting_saved", f"unit:{unit_id}", amounts_in_email=allowed)
    return changed


class ReminderTextView(SecureBaseView):
    """The office's wording per purpose and channel, and whether a unit's emails may name amounts."""

    required_roles = VIEW_ROLES

    @expose("/")
    def index(self):
        """Every purpose and channel with its text, the placeholders, and the units' settings."""
        return self._page()

    @expose("/<purpose>/<channel>/", methods=("POST",))
    def save_view(self, purpose: str, channel: str):
        """Save the office's wording; a text that is not a valid template is refused."""
        _editors_only()
        self._known_or_404(purpose, channel)
        form = TextForm(prefix=f"{purpose}-{channel}")
        subject, body = (form.subject.data or "").strip(), (form.body.data or "").strip()
        errors = text_errors(purpose, channel, subject, body)
        if errors:
            for name, message in errors.items():
                form[name].errors = [message]
            flash(_("The text was not saved: correct the marked fields."), "danger")
            return self._page((f"{purpose}-{channel}", form))
        save_text(purpose, channel, subject, body)
        flash(_("The text “%(purpose)s” (%(channel)s) was saved.", purpose=PURPOSE_LABELS[purpose],
                channel=CHANNEL_LABELS[channel]), "success")
        return redirect(self.get_url(".index") + f"#text-{purpose}-{channel}")

    @expose("/<purpose>/<channel>/restore/", methods=("POST",))
    def restore_view(self, purpose: str, channel: str):
        """Drop the office's wording: the built-in text is used again."""
        _editors_only()
        self._known_or_404(purpose, channel)
        restore_text(purpose, channel)
        flash(_("The built-in text “%(purpose)s” (%(channel)s) is used again.", purpose=PURPOSE_LABELS[purpose],
                channel=CHANNEL_LABELS[channel]), "success")
        return redirect(self.get_url(".index") + f"#text-{purpose}-{channel}")

    @expose("/units/", methods=("POST",))
    def units_view(self):
        """Save which units allow amounts in reminder emails."""
        if not current_user.has_role(*UNIT_ROLES):
            abort(403)
        units = db.session.scalars(select(Unit.id))
        changed = save_unit_settings({uid: request.form.get(f"amounts-{uid}") == "y" for uid in units})
        flash(_("Unit settings saved (%(count)d changed).", count=changed), "success")
        return redirect(self.get_url(".index") + "#units")

    @staticmethod
    def _known_or_404(purpose: str, channel: str) -> None:
        if purpose not in PURPOSES or channel not in CHANNELS:
            abort(404)

    def _page(self, posted: tuple[str, TextForm] | None = None):
        rows = {(t.purpose, t.channel): t for t in db.session.scalars(select(ReminderText))}
        texts = []
        for purpose in PURPOSES:
            for channel in CHANNELS:
                row, prefix = rows.get((purpose, channel)), f"{purpose}-{channel}"
                form = posted[1] if posted and posted[0] == prefix else TextForm(
                    prefix=prefix, formdata=None, data={"subject": row.subject if row else "",
                                                        "body": row.body if row else ""})
                texts.append({"purpose": purpose, "channel": channel, "row": row, "form": form,
                              "placeholders": [(p, PLACEHOLDER_LABELS[p]) for p in TEXT_PLACEHOLDERS[purpose]]})
        allowed = set(db.session.scalars(select(ReminderUnitSetting.unit_id).where(
            ReminderUnitSetting.amounts_in_email.is_(True))))
        units = [(unit, unit.id in allowed) for unit in db.session.scalars(select(Unit).order_by(Unit.name))]
        return self.render("reminders/admin/texts.html", texts=texts, units=units, may_edit=_may_edit(),
                           may_edit_units=current_user.has_role(*UNIT_ROLES), purpose_labels=PURPOSE_LABELS,
                           channel_labels=CHANNEL_LABELS)


def register(admin: Admin) -> None:
    """Add "Plans", "Business preferences" and "Texts" under "Reminders"."""
    if templates.name not in admin.app.blueprints:
        admin.app.register_blueprint(templates)
    category = _l("Reminders")
    admin.add_view(ReminderPlanView(name=_l("Plans"), endpoint="reminder_plans", category=category))
    admin.add_view(ReminderPreferenceView(name=_l("Business preferences"), endpoint="reminder_preferences",
                                          category=category))
    admin.add_view(ReminderTextView(name=_l("Texts"), endpoint="reminder_texts", category=category))
