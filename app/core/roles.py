"""Office staff roles."""

from enum import StrEnum


class Role(StrEnum):
    """What a staff member may do; a user holds one or more roles."""

    ADMIN = "admin"
    COMMUNICATOR = "communicator"
    APPROVER = "approver"
    FINANCE = "finance"
    INBOX = "inbox"
