"""Contractors: list and read them; the legacy system upserts them in bulk by legacy id.

An upserted contractor is the whole record as the legacy system holds it (a row of
`kontrahenci.csv` with its `cechy.csv` attributes): a field left out is empty, an attribute left
out is removed, a phone or email left out is no longer the legacy contact.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from app.accounts.contacts import ContactError, normalise_email, normalise_phone
from app.accounts.models import ContactPoint, Contractor, ContractorKind, RecordStatus
from app.api import bp
from app.api.auth import current_key
from app.api.errors import not_found
from app.api.operations import operation
from app.api.pagination import paginate
from app.api.pushes import MAX_ITEMS, Resource, bulk_upsert
from app.api.schemas import BulkResultSchema, Instant, PageQuery, page_of, text
from app.core.clock import as_utc
from app.core.extensions import db
from app.legacy import fields as F
from app.legacy import rows
from app.legacy.push import Push

TAG = "Contractors"
STATUSES = (RecordStatus.ACTIVE.value, RecordStatus.CLOSED.value)


class ContractorInSchema(Schema):
    """A contractor as the legacy system holds it (upsert by `legacy_id`)."""

    legacy_id = text(40, required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in ContractorKind]),
                         metadata={"description": "OP legal person, JO organisational unit, OF sole trader"})
    name = text(255, required=True)
    nip = text(13, metadata={"description": "required unless a sole trader with a PESEL"})
    regon = text(17)
    pesel = text(11, metadata={"description": "sole traders only"})
    street = text(120)
    house_no = text(20)
    flat_no = text(20)
    postal_code = text(6)
    city = text(80)
    district = text(80)
    pkd = text(10)
    phone = text(40)
    email = text(255)
    consent_sms = fields.Boolean(load_default=False)
    consent_email = fields.Boolean(load_default=False)
    modified_at = Instant(allow_none=True, metadata={"description": "when the legacy system changed it"})
    status = fields.String(load_default=RecordStatus.ACTIVE.value, validate=validate.OneOf(STATUSES))
    attributes = fields.Dict(keys=text(40, required=True), values=text(255, required=True),
                             load_default=dict, validate=validate.Length(max=200),
                             metadata={"description": "attribute code -> value (cechy)"})

    @validates_schema
    def _identifiers(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        sole = data.get("kind") == ContractorKind.SOLE_TRADER
        checks = (("nip", lambda v: F.nip("nip", v, required=not sole or not data.get("pesel"))),
                  ("regon", lambda v: F.regon("regon", v)), ("pesel", lambda v: F.pesel("pesel", v)))
        for name, check in checks:
            try:
                check(data.get(name) or "")
            except F.FieldError as error:
                errors[name] = [error.reason]
        for name, normalise in (("phone", normalise_phone), ("email", normalise_email)):
            if data.get(name):
                try:
                    normalise(data[name])
                except ContactError as error:
                    errors[name] = [str(error)]
        if errors:
            raise ValidationError(errors)


class ContractorBulkSchema(Schema):
    """Up to 1,000 contractors to upsert."""

    items = fields.List(fields.Nested(ContractorInSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_ITEMS))


class RawBulkSchema(Schema):
    """The envelope of a bulk request; each item is validated on its own afterwards."""

    items = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1, max=MAX_ITEMS))


class ContactSchema(Schema):
    """A phone (E.164) or email address of a contractor."""

    channel = fields.String(required=True)
    value = fields.String(required=True)
    source = fields.String(required=True)
    is_active = fields.Boolean(required=True)
    verified = fields.Boolean(required=True)


class ContractorSchema(Schema):
    """A contractor as the platform holds it."""

    legacy_id = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    nip = fields.String(allow_none=True)
    regon = fields.String(allow_none=True)
    street = fields.String(allow_none=True)
    house_no = fields.String(allow_none=True)
    flat_no = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    pkd = fields.String(allow_none=True)
    status = fields.String(required=True)
    created_at = Instant(required=True)
    updated_at = Instant(required=True)


class ContractorDetailSchema(ContractorSchema):
    """A contractor with its attributes and contact points."""

    attributes = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    contacts = fields.List(fields.Nested(ContactSchema), required=True)


class ContractorQuery(PageQuery):
    """Filters of the contractor list."""

    nip = text(13)
    district = text(80)
    status = fields.String(validate=validate.OneOf([s.value for s in RecordStatus]))
    updated_since = fields.AwareDateTime(default_timezone=None, metadata={"description": "ISO 8601 with offset"})


ContractorPageSchema = page_of(ContractorSchema, "ContractorPageSchema")


def contractor_or_404(legacy_id: str) -> Contractor:
    """The contractor with this legacy id, or a 404 error."""
    found = db.session.scalar(select(Contractor).where(Contractor.legacy_id == legacy_id))
    if found is None:
        raise not_found("contractor", legacy_id)
    return found


@operation(bp, "/contractors", "GET", scope="accounts:read", tag=TAG, query=ContractorQuery,
           response=ContractorPageSchema)
def list_contractors(args: dict[str, Any]):
    """List contractors, by name.

    Filter by NIP, district, status or last change (`updated_since`).
    """
    query = select(Contractor).order_by(Contractor.name, Contractor.id)
    if args.get("nip"):
        query = query.where(Contractor.nip == "".join(ch for ch in args["nip"] if ch.isdigit()))
    if args.get("district"):
        query = query.where(Contractor.district == args["district"])
    if args.get("status"):
        query = query.where(Contractor.status == args["status"])
    if args.get("updated_since"):
        query = query.where(Contractor.updated_at >= as_utc(args["updated_since"]))
    return paginate(query, args)


@operation(bp, "/contractors/<legacy_id>", "GET", scope="accounts:read", tag=TAG, response=ContractorDetailSchema)
def get_contractor(legacy_id: str):
    """One contractor with its attributes and contact points."""
    contractor = contractor_or_404(legacy_id)
    points = db.session.scalars(select(ContactPoint).where(ContactPoint.contractor_id == contractor.id)
                                .order_by(ContactPoint.channel, ContactPoint.id))
    data = {name: getattr(contractor, name) for name in ContractorSchema().fields}
    data["attributes"] = {a.code: a.value for a in contractor.attributes}
    data["contacts"] = [{"channel": p.channel, "value": p.value, "source": p.source, "is_active": p.is_active,
                         "verified": p.verified_at is not None} for p in points]
    return data


@operation(bp, "/contractors/bulk", "POST", scope="accounts:write", tag=TAG, body=ContractorBulkSchema,
           response=BulkResultSchema, raw_body=True)
def upsert_contractors(body: Any):
    """Upsert up to 1,000 contractors by legacy id.

    Each item is checked on its own: refused items are listed in `errors` (position, field, value,
    reason) and the others are taken. Changes become the same change events as a snapshot import.
    """
    envelope = RawBulkSchema().load(body if isinstance(body, dict) else {"items": body})
    return bulk_upsert(CONTRACTORS, envelope["items"], current_key(), "contractors")


def _stage_contractor(pushed: Push, line: int, item: dict[str, Any]) -> None:
    sole = item["kind"] == ContractorKind.SOLE_TRADER
    pushed.contractors.append({
        "line": line, "legacy_id": item["legacy_id"], "kind": item["kind"], "name": item["name"],
        "nip": F.nip("nip", item.get("nip") or "", required=False),
        "regon": F.regon("regon", item.get("regon") or ""),
        "pesel": F.pesel("pesel", item.get("pesel") or "") if sole else None,
        **{n: item.get(n) or None for n in ("street", "house_no", "flat_no", "postal_code", "city", "district",
                                            "pkd")},
        "phone": normalise_phone(item["phone"]) if item.get("phone") else None,
        "email": normalise_email(item["email"]) if item.get("email") else None,
        "consent_sms": item["consent_sms"], "consent_email": item["consent_email"],
        "legacy_modified_at": as_utc(item["modified_at"]) if item.get("modified_at") else None,
        "status": item["status"],
    })
    for code, value in item["attributes"].items():
        pushed.attributes.append({"line": line, "contractor_legacy_id": item["legacy_id"], "code": code,
                                  "value": value})


CONTRACTORS = Resource(rows.CONTRACTORS.name, ContractorInSchema, _stage_contractor)
