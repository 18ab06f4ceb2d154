"""Forms of a static list's page: add one contractor, take one off, upload a CSV of identifiers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Length

from app.audiences.lists import Identifier, Upload, decode, read_upload

MAX_UPLOAD_BYTES = 5 * 1024 * 1024

IDENTIFIER_LABELS = {
    Identifier.AUTO: _l("recognise each line (NIP, legacy id, phone or email)"),
    Identifier.NIP: _l("NIP"),
    Identifier.LEGACY_ID: _l("legacy id"),
    Identifier.PHONE: _l("phone number"),
    Identifier.EMAIL: _l("email address"),
}

#: How a member came onto a list.
SOURCE_LABELS = {"staff": _l("added by hand"), "csv": _l("CSV upload"), "api": _l("API")}


class AddMemberForm(FlaskForm):
    """One contractor to put on the list, by legacy id or NIP."""

    identifier = StringField(_l("Legacy id or NIP"), validators=[
        DataRequired(message=_l("Enter a legacy id or a NIP.")), Length(max=40)])


class RemoveMemberForm(FlaskForm):
    """A contractor to take off the list."""

    contractor_id = IntegerField(validators=[InputRequired()])
    page = HiddenField()


class UploadForm(FlaskForm):
    """A CSV file with one identifier per line, and what kind of identifier the lines hold."""

    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose a file to upload."))])
    kind = SelectField(_l("The lines hold"), default=str(Identifier.AUTO),
                       choices=[(str(k), v) for k, v in IDENTIFIER_LABELS.items()])

    def validate_file(self, field: Any) -> None:
        """Read the file, at most MAX_UPLOAD_BYTES of it; `content` is its text."""
        storage = field.data
        if storage is None or isinstance(storage, str):
            return
        data = storage.stream.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise ValidationError(_(
                "The file is larger than %(mb)d MB: split it into smaller files.",
                mb=MAX_UPLOAD_BYTES // (1024 * 1024)))
        if not data.strip():
            raise ValidationError(_("The file is empty."))
        self.content = decode(data)


@dataclass
class UploadReport:
    """What an upload did: lines read, contractors found and added, every line that added no one."""

    filename: str
    upload: Upload
    added: int

    @property
    def found(self) -> int:
        """Contractors the lines matched."""
        return len(self.upload.contractor_ids)

    @property
    def already_on_list(self) -> int:
        """Contractors matched who were on the list before."""
        return self.found - self.added


def read_file(form: UploadForm) -> Upload:
    """The contractors the uploaded lines name (after `form.validate()`)."""
    return read_upload(form.content, Identifier(form.kind.data))
