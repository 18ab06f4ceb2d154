"""The demo snapshot follows the legacy SPEC: encoding, line ends, headers, quoting, formats."""

from __future__ import annotations

import csv
import io
import re

from app.demo.generator import write_snapshot

# Header names copied from SPEC.md (not from the generator) so a typo there is caught.
SPEC_HEADERS = {
    "jednostki.csv": "KOD;NAZWA;NIP;RACHUNEK;ADRES",
    "kontrahenci.csv": "ID_KONTRAHENTA;TYP;NAZWA;NIP;REGON;PESEL;ULICA;NR_DOMU;NR_LOKALU;"
    "KOD_POCZTOWY;MIEJSCOWOSC;OSIEDLE;PKD;TELEFON;EMAIL;ZGODA_SMS;ZGODA_EMAIL;"
    "DATA_MODYFIKACJI;STATUS",
    "cechy.csv": "ID_KONTRAHENTA;CECHA;WARTOSC",
    "naleznosci.csv": "ID_NALEZNOSCI;ID_KONTRAHENTA;JEDNOSTKA;RODZAJ;OPIS;PODSTAWA;NR_DOKUMENTU;"
    "OKRES;TERMIN;KWOTA;DATA_PRZYPISU;STATUS",
    "wplaty.csv": "ID_WPLATY;ID_KONTRAHENTA;ID_NALEZNOSCI;DATA;KWOTA;SPOSOB;OPIS",
    "terminy.csv": "ID_TERMINU;ID_KONTRAHENTA;JEDNOSTKA;DATA;GODZINA;OPIS;MIEJSCE",
}
AMOUNT = re.compile(r"^\d{1,3}( \d{3})*,\d{2}$")
DAY = re.compile(r"^\d{2}\.\d{2}\.\d{4}$")
INSTANT = re.compile(r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}$")


def test_files_are_cp1250_with_crlf_and_the_spec_headers(snapshot):
    for name, header in SPEC_HEADERS.items():
        raw = (snapshot / name).read_bytes()
        text = raw.decode("cp1250")  # strict: fails on anything else
        assert raw.count(b"\n") == raw.count(b"\r\n") > 0
        assert text.endswith("\r\n")
        assert text.split("\r\n", 1)[0] == header
    with_diacritics = (snapshot / "kontrahenci.csv").read_bytes().decode("cp1250")
    assert set("ąęłńóśźżŁŚŻ„”") & set(with_diacritics)
    assert "Ełk" in with_diacritics


def test_every_row_has_the_header_column_count_and_quoting_round_trips(snapshot):
    quoted = 0
    for name in SPEC_HEADERS:
        text = (snapshot / name).read_bytes().decode("cp1250")
        lines = text.split("\r\n")[:-1]
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"')
        records = list(reader)
        assert len(records) == len(lines)  # no field holds a line break
        width = len(records[0])
        for line, record in zip(lines, records, strict=True):
            assert len(record) == width
            out = io.StringIO()
            csv.writer(out, delimiter=";", quotechar='"', lineterminator="").writerow(record)
            assert out.getvalue() == line  # quoting only where a field holds `;` or `"`
            quoted += line.count('"') > 0
    assert quoted > 0


def test_values_use_the_legacy_formats(rows):
    for row in rows["naleznosci"]:
        assert AMOUNT.match(row["KWOTA"]), row
        assert row["TERMIN"] == "" or DAY.match(row["TERMIN"])
        assert DAY.match(row["DATA_PRZYPISU"])
        assert row["STATUS"] in {"A", "U"}
    for row in rows["wplaty"]:
        assert AMOUNT.match(row["KWOTA"]) and DAY.match(row["DATA"]), row
        assert row["SPOSOB"] in {"P", "K", "O"}
    for row in rows["kontrahenci"]:
        assert INSTANT.match(row["DATA_MODYFIKACJI"])
        assert row["ZGODA_SMS"] in {"T", "N"} and row["ZGODA_EMAIL"] in {"T", "N"}
        assert row["STATUS"] in {"A", "Z"} and row["TYP"] in {"OP", "JO", "OF"}
        assert row["KOD_POCZTOWY"] == "19-300"
    assert any(" " in r["KWOTA"] for r in rows["naleznosci"])  # thousands separator used
    assert any(";" in r["PODSTAWA"] for r in rows["naleznosci"])


def test_keys_are_unique_and_references_resolve(rows):
    contractors = {r["ID_KONTRAHENTA"] for r in rows["kontrahenci"]}
    units = {r["KOD"] for r in rows["jednostki"]}
    obligations = [r["ID_NALEZNOSCI"] for r in rows["naleznosci"]]
    assert len(contractors) == len(rows["kontrahenci"])
    assert len(set(obligations)) == len(obligations)
    assert len({r["ID_WPLATY"] for r in rows["wplaty"]}) == len(rows["wplaty"])
    assert len({r["ID_TERMINU"] for r in rows["terminy"]}) == len(rows["terminy"])
    assert len({(r["ID_KONTRAHENTA"], r["CECHA"]) for r in rows["cechy"]}) == len(rows["cechy"])
    owner = {r["ID_NALEZNOSCI"]: r["ID_KONTRAHENTA"] for r in rows["naleznosci"]}
    for row in rows["naleznosci"] + rows["terminy"]:
        assert row["ID_KONTRAHENTA"] in contractors and row["JEDNOSTKA"] in units
    for row in rows["wplaty"]:
        assert row["ID_KONTRAHENTA"] in contractors
        if row["ID_NALEZNOSCI"]:
            assert owner[row["ID_NALEZNOSCI"]] == row["ID_KONTRAHENTA"]
    assert any(not r["ID_NALEZNOSCI"] for r in rows["wplaty"])  # a few not yet allocated


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    counts = write_snapshot(first, contractors=60, seed=7)
    assert write_snapshot(second, contractors=60, seed=7) == counts
    write_snapshot(other, contractors=60, seed=8)
    for name in SPEC_HEADERS:
        assert (first / name).read_bytes() == (second / name).read_bytes()
    assert (first / "kontrahenci.csv").read_bytes() != (other / "kontrahenci.csv").read_bytes()
    assert (first / "naleznosci.csv").read_bytes() != (other / "naleznosci.csv").read_bytes()


def test_counts_match_the_files(tmp_path):
    counts = write_snapshot(tmp_path, contractors=30, seed=1)
    for name, rows in counts.items():
        lines = (tmp_path / name).read_bytes().count(b"\r\n")
        assert lines == rows + 1
