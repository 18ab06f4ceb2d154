"""PDF documents with Polish letters: an FPDF with the bundled DejaVu Sans fonts registered."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
FAMILY = "DejaVu"


def new_document(*, title: str, orientation: str = "P", author: str = "") -> FPDF:
    """An A4 document with DejaVu Sans (regular and bold) as its font, one page added."""
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.set_creator("Powiadomienia")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FAMILY, size=10)
    return pdf


def render(pdf: FPDF) -> bytes:
    """The finished document as bytes."""
    return bytes(pdf.output())
