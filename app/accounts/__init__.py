"""The shared account model: units, contractors, contacts, obligations, payments, users."""
