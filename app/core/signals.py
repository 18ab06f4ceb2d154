"""Signals through which lower packages tell higher ones what happened (blinker)."""

from blinker import Namespace

_signals = Namespace()

#: Sent after a legacy snapshot was imported and committed; kwargs: import_run_id.
snapshot_imported = _signals.signal("snapshot-imported")
#: Sent after change events were committed; kwargs: change_event_ids (list[int]).
account_changed = _signals.signal("account-changed")
#: Sent after a payment was booked and committed; kwargs: payment_id.
payment_booked = _signals.signal("payment-booked")
#: Sent after a send batch recorded its outcomes; kwargs: message_ids (list[int]).
batch_sent = _signals.signal("batch-sent")
#: Sent when a portal user must confirm an email address (in the caller's transaction);
#: kwargs: email, link (the signed verification address), user_id.
portal_email_verification = _signals.signal("portal-email-verification")
