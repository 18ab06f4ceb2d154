"""What the rule builder page hands its script: the catalogue, the state to start from, the words."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.audiences.audience import REASONS
from app.audiences.catalogue import DAYS, MANY_VALUES, NO_VALUE, TWO_VALUES, catalogue_json

#: Why members cannot be reached, per channel, as the live count and the segment page say it.
REASON_LABELS = {
    "sms": {
        "no_address": _l("no phone number"),
        "no_consent": _l("no consent to SMS"),
        "invalid_address": _l("the number cannot receive SMS"),
        "bounced": _l("texts to the number failed"),
        "opted_out": _l("the number opted out (STOP)"),
    },
    "email": {
        "no_address": _l("no email address"),
        "no_consent": _l("no consent to email"),
        "invalid_address": _l("the address cannot be used"),
        "bounced": _l("the address bounced or reported spam"),
        "opted_out": _l("the address unsubscribed"),
    },
}

CHANNEL_LABELS = {"sms": _l("SMS"), "email": _l("email")}


def reason_labels() -> dict[str, dict[str, str]]:
    """REASON_LABELS in the current language, as plain strings."""
    return {channel: {k: str(v) for k, v in labels.items()} for channel, labels in REASON_LABELS.items()}


def builder_texts() -> dict[str, str]:
    """Every word the builder script shows, in the current language."""
    return {
        "all": _("all of these hold"),
        "any": _("any of these holds"),
        "not": _("not"),
        "notTitle": _("Negate: select those for whom this does not hold"),
        "match": _("Contractors for whom"),
        "addCondition": _("Add condition"),
        "addGroup": _("Add group"),
        "remove": _("Remove"),
        "removeCondition": _("Remove this condition"),
        "removeGroup": _("Remove this group"),
        "field": _("Field"),
        "chooseField": _("— choose a field —"),
        "unknownField": _("unknown field"),
        "operator": _("Operator"),
        "value": _("Value"),
        "from": _("from"),
        "to": _("to"),
        "days": _("days"),
        "addValue": _("Type a value and press Enter"),
        "removeValue": _("Remove %(value)s"),
        "values": _("Values"),
        "emptyGroup": _("No conditions yet."),
        "emptyRoot": _("No conditions: the members are the contractors on the included lists."),
        "fieldMissing": _("Choose a field."),
        "counting": _("Counting…"),
        "countFailed": _("The count failed; it will be tried again with the next change."),
        "fixErrors": _("Correct the marked conditions to see the count."),
        "members": _("members"),
        "reachable": _("reachable"),
        "anyChannel": _("by SMS or email"),
        "unreachable": _("Not reachable"),
        "noSample": _("No members."),
        "jsonInvalid": _("This is not valid JSON: %(error)s"),
        "jsonNotRule": _("This JSON does not describe a rule: %(error)s"),
        "jsonNode": _("expected a group (all, any, not) or a condition (field, op, value) at %(path)s"),
        "imported": _("The rule was imported: check it and save."),
        "fileTooLarge": _("The file is too large for a rule."),
    }


def builder_data(*, rule: Any, errors: dict[str, str], preview_url: str,
                 download_name: str) -> dict[str, Any]:
    """The JSON the builder script starts from."""
    return {
        "catalogue": catalogue_json(),
        "shapes": {"none": sorted(NO_VALUE), "many": sorted(MANY_VALUES), "two": sorted(TWO_VALUES),
                   "days": sorted(DAYS)},
        "rule": rule,
        "errors": errors,
        "previewUrl": preview_url,
        "downloadName": download_name,
        "texts": builder_texts(),
        "reasons": reason_labels(),
        "channels": {k: str(v) for k, v in CHANNEL_LABELS.items()},
        "channelOrder": list(CHANNEL_LABELS),
        "reasonOrder": list(REASONS),
    }
