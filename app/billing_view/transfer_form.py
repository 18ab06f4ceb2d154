"""The Polish paper transfer form ("polecenie przelewu / wpłata gotówkowa") as a PDF, with the ZBP QR code.

Pure pieces: the ZBP QR string, the amount in Polish words, the transfer title naming the
obligations, and the drawing of two copies of the form (for the bank and for the payer) on one
A4 page. The form's own labels are Polish in every UI language: it is a Polish bank form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import segno
from fpdf import FPDF
from num2words import num2words

from app.core.money import quantize
from app.core.pdf import FAMILY, new_document, render

QR_MAX = 160
QR_NAME_MAX, QR_TITLE_MAX = 20, 32
QR_AMOUNT_DIGITS = 6
BOXES = 27  # character boxes in a row of the form
TITLE_MAX = 2 * BOXES
_UNSAFE = re.compile(r"[|\x00-\x1f\x7f]+")


def _clean(text: str | None) -> str:
    """One line without the ZBP separator or control characters."""
    return " ".join(_UNSAFE.sub(" ", text or "").split())


def _short(text: str | None, limit: int) -> str:
    """At most `limit` characters, cut at a space when one is near, without a dangling separator."""
    text = _clean(text)
    if len(text) > limit:
        cut = text[: limit + 1].rfind(" ")
        text = text[:cut] if cut >= limit // 2 else text[:limit]
    return text.rstrip(" ,;:-–")


def amount_grosze(amount: Decimal) -> int:
    """The amount in grosze."""
    return int(quantize(amount) * 100)


def zbp_qr_text(*, nip: str | None, account: str, amount: Decimal | None, name: str, title: str) -> str:
    """The ZBP transfer QR string: NIP|PL|account|grosze (6 digits)|name (≤20)|title (≤32)|||.

    The amount field stays empty when there is no amount or it does not fit six digits
    (over 9 999,99 zł): the payer's bank then asks for it.
    """
    digits = "".join(ch for ch in nip or "" if ch.isdigit())
    grosze = amount_grosze(amount) if amount is not None else None
    amount_field = f"{grosze:0{QR_AMOUNT_DIGITS}d}" if grosze is not None and 0 < grosze < 10**QR_AMOUNT_DIGITS else ""
    account_digits = "".join(ch for ch in account if ch.isdigit())
    fields = [digits if len(digits) == 10 else "", "PL", account_digits, amount_field,
              _short(name, QR_NAME_MAX), _short(title, QR_TITLE_MAX), "", "", ""]
    text = "|".join(fields)
    assert len(text) <= QR_MAX
    return text


def amount_in_words(amount: Decimal) -> str:
    """`sto dwadzieścia trzy złote 45/100`: złote in Polish words, grosze as a fraction."""
    value = quantize(amount)
    if value < 0:
        raise ValueError(f"a transfer amount cannot be negative: {amount}")
    whole = int(value)
    grosze = int((value - whole) * 100)
    zlote = num2words(Decimal(whole), lang="pl", to="currency", currency="PLN").split(",")[0]
    return f"{zlote} {grosze:02d}/100"


def format_amount(amount: Decimal) -> str:
    """The amount as written in the form's boxes: `1234,56`."""
    return f"{quantize(amount):.2f}".replace(".", ",")


def transfer_title(items: Iterable[str], limit: int = TITLE_MAX) -> str:
    """Items joined by commas, as many as fit in `limit`, then `+N` for the ones left out."""
    items = [_clean(item) for item in items if _clean(item)]
    title = ""
    for position, item in enumerate(items):
        candidate = f"{title}, {item}" if title else item
        left = len(items) - position - 1
        suffix = f" +{left}" if left else ""
        if len(candidate) + len(suffix) <= limit:
            title = candidate
            continue
        if not title:  # not even the first one fits: cut it
            return item[: limit - len(suffix)].rstrip() + suffix
        return title + f" +{len(items) - position}"
    return title


def box_lines(text: str, rows: int, width: int = BOXES) -> list[str]:
    """Split text into `rows` lines of at most `width` characters, at spaces where possible."""
    words, lines, line = _clean(text).split(" "), [], ""
    for word in words:
        while len(word) > width:  # a word longer than a row is broken
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        candidate = f"{line} {word}".strip()
        if len(candidate) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    lines.append(line)
    lines = [entry for entry in lines if entry] or [""]
    return (lines + [""] * rows)[:rows]


@dataclass(frozen=True)
class TransferForm:
    """What the form says: recipient, account, amount (None: left blank), title, payer."""

    recipient_name: str
    recipient_nip: str | None
    account: str
    amount: Decimal | None
    title: str
    payer_name: str
    payer_address: str
    qr_title: str | None = None  # a shorter title for the QR code (≤32); else `title` cut

    def qr_text(self) -> str:
        """The ZBP QR string of this form."""
        return zbp_qr_text(nip=self.recipient_nip, account=self.account, amount=self.amount,
                           name=self.recipient_name, title=self.qr_title or self.title)

    def payer_lines(self) -> list[str]:
        """The payer's name and address in the two rows: one each when both fit, else flowing."""
        if len(_clean(self.payer_name)) <= BOXES and len(_clean(self.payer_address)) <= BOXES:
            return [_clean(self.payer_name), _clean(self.payer_address)]
        return box_lines(", ".join(p for p in (self.payer_name, self.payer_address) if p), 2)


# --- drawing ----------------------------------------------------------------------------------

BOX_W, BOX_H, LABEL_H = 4.9, 6.0, 3.2
LEFT, COPY_H = 12.0, 138.0
RED = (200, 40, 60)


def _label(pdf: FPDF, x: float, y: float, text: str) -> None:
    pdf.set_font(FAMILY, size=6)
    pdf.set_text_color(*RED)
    pdf.text(x, y + 2.4, text)


def _boxes(pdf: FPDF, x: float, y: float, count: int, text: str = "", align_right: bool = False) -> None:
    """A row of character boxes with one character of `text` in each."""
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.2)
    for i in range(count):
        pdf.rect(x + i * BOX_W, y, BOX_W, BOX_H)
    pdf.set_font(FAMILY, size=9)
    pdf.set_text_color(0, 0, 0)
    chars = text[:count]
    start = count - len(chars) if align_right else 0
    for i, char in enumerate(chars):
        pdf.set_xy(x + (start + i) * BOX_W, y)
        pdf.cell(BOX_W, BOX_H, char, align="C")


def _row(pdf: FPDF, y: float, label: str, text: str, count: int = BOXES) -> float:
    _label(pdf, LEFT, y, label)
    _boxes(pdf, LEFT, y + LABEL_H, count, text)
    return y + LABEL_H + BOX_H + 0.8


def _qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    """The QR code drawn as filled squares (vector, sharp at any zoom)."""
    code = segno.make_qr(text, error="m", boost_error=False)
    matrix = code.matrix
    module = size / (len(matrix) + 8)  # a quiet zone of four modules each side
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, line in enumerate(matrix):
        for c, dark in enumerate(line):
            if dark:
                pdf.rect(x + (c + 4) * module, y + (r + 4) * module, module, module, style="F")


def _copy(pdf: FPDF, form: TransferForm, top: float, copy_name: str) -> None:
    """One copy of the form at `top`."""
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.4)
    pdf.rect(LEFT - 4, top, 194, COPY_H - 6)
    pdf.set_font(FAMILY, "B", 10)
    pdf.set_text_color(*RED)
    pdf.text(LEFT, top + 6, "POLECENIE PRZELEWU / WPŁATA GOTÓWKOWA")
    pdf.set_font(FAMILY, size=7)
    pdf.text(LEFT + 105, top + 6, copy_name)
    y = top + 9
    name = box_lines(form.recipient_name, 2)
    y = _row(pdf, y, "nazwa odbiorcy", name[0])
    y = _row(pdf, y, "nazwa odbiorcy cd.", name[1])
    y = _row(pdf, y, "nr rachunku odbiorcy", form.account, 26)
    _label(pdf, LEFT, y, "waluta")
    _boxes(pdf, LEFT, y + LABEL_H, 3, "PLN")
    _label(pdf, LEFT + 20, y, "kwota")
    _boxes(pdf, LEFT + 20, y + LABEL_H, 12, format_amount(form.amount) if form.amount is not None else "",
           align_right=True)
    y += LABEL_H + BOX_H + 0.8
    _label(pdf, LEFT, y, "nr rachunku zleceniodawcy (przelew) / kwota słownie (wpłata)")
    pdf.rect(LEFT, y + LABEL_H, BOXES * BOX_W, BOX_H)
    pdf.set_text_color(0, 0, 0)
    words = amount_in_words(form.amount) if form.amount is not None else ""
    pdf.set_font(FAMILY, size=8 if len(words) <= 60 else 6)
    pdf.set_xy(LEFT + 1, y + LABEL_H)
    pdf.cell(BOXES * BOX_W - 2, BOX_H, words)
    y += LABEL_H + BOX_H + 0.8
    payer = form.payer_lines()
    y = _row(pdf, y, "nazwa zleceniodawcy", payer[0])
    y = _row(pdf, y, "nazwa zleceniodawcy cd.", payer[1])
    title = box_lines(form.title, 2)
    y = _row(pdf, y, "tytułem", title[0])
    y = _row(pdf, y, "tytułem cd.", title[1])
    _label(pdf, LEFT, y, "pieczęć, data i podpis(y) zleceniodawcy")
    pdf.rect(LEFT, y + LABEL_H, 95, 14)
    _label(pdf, LEFT + 100, y, "opłata")
    pdf.rect(LEFT + 100, y + LABEL_H, 32, 14)
    qr_x, qr_size = LEFT + BOXES * BOX_W + 6, 44
    _qr(pdf, form.qr_text(), qr_x, top + 12, qr_size)
    pdf.set_font(FAMILY, size=6)
    pdf.set_text_color(60, 60, 60)
    pdf.set_xy(qr_x, top + 12 + qr_size + 1)
    pdf.multi_cell(qr_size, 2.8, "Kod QR do zeskanowania w aplikacji banku (standard ZBP).", align="C")


def transfer_form_pdf(form: TransferForm) -> bytes:
    """Two copies of the filled form on one A4 page: for the bank and for the payer."""
    pdf = new_document(title=f"Polecenie przelewu – {form.recipient_name}")
    pdf.set_auto_page_break(auto=False)
    _copy(pdf, form, 8, "odcinek dla banku")
    pdf.set_draw_color(120, 120, 120)
    pdf.set_dash_pattern(dash=2, gap=1.5)
    pdf.line(4, 8 + COPY_H - 2, 206, 8 + COPY_H - 2)
    pdf.set_dash_pattern()
    _copy(pdf, form, 8 + COPY_H + 2, "odcinek dla zleceniodawcy")
    return render(pdf)
