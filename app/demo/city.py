"""The demo city: Ełk's office units, districts (osiedla) with their streets, nearby villages."""

from __future__ import annotations

from dataclasses import dataclass

POSTAL_CODE = "19-300"
CITY = "Ełk"
# Tax office code (first three digits of NIP) of Urząd Skarbowy w Ełku.
LOCAL_TAX_OFFICE = "848"
OTHER_TAX_OFFICES = ("849", "847", "845", "739", "742", "527", "525", "966", "542", "719")


@dataclass(frozen=True)
class UnitInfo:
    """An office unit as written to jednostki.csv."""

    code: str
    name: str
    nip: str
    account: str
    address: str


UNITS = (
    UnitInfo(
        "UM",
        "Urząd Miasta Ełku",
        "8481000123",
        "59102059033982597919074833",
        "ul. Piłsudskiego 4, 19-300 Ełk",
    ),
    UnitInfo(
        "ZGN",
        "Zakład Gospodarki Nieruchomościami w Ełku",
        "8481000459",
        "84102059037887623286012904",
        "ul. Kolejowa 10, 19-300 Ełk",
    ),
)

# District -> (weight, streets). Weights follow how many businesses each part of town holds.
DISTRICTS: dict[str, tuple[int, tuple[str, ...]]] = {
    "Centrum": (
        18,
        (
            "Armii Krajowej", "Wojska Polskiego", "Mickiewicza", "Małeckich", "Kościuszki",
            "Kilińskiego", "Sienkiewicza", "Piłsudskiego", "Chopina", "Moniuszki", "Ogrodowa",
            "Pułaskiego", "Plac Jana Pawła II", "Żeromskiego", "Kajki", "Ks. Ignacego Krasickiego",
        ),
    ),
    "Zatorze": (
        8,
        ("Suwalska", "Kolejowa", "Gdańska", "Toruńska", "Wawelska", "Kwiatowa", "Tatarska"),
    ),
    "Północ I": (7, ("Kochanowskiego", "Kopernika", "Wojska Polskiego", "Popiełuszki")),
    "Północ II": (7, ("Kopernika", "Łukasiewicza", "Matejki", "Chełmońskiego", "Grottgera")),
    "Grunwaldzkie": (
        7,
        ("Grunwaldzka", "Orzeszkowej", "Słowackiego", "Konopnickiej", "Jagiellońska"),
    ),
    "Jeziorna": (5, ("Jeziorna", "Parkowa", "Mazurska", "Nadjeziorna", "Wczasowa")),
    "Konieczki": (4, ("Sikorskiego", "Konieczki", "Okulickiego", "Sportowa")),
    "Baranki": (3, ("Zamkowa", "Baranki", "Armii Krajowej", "Pięciu Mórz")),
    "Przemysłowe": (
        9,
        ("Przemysłowa", "Magazynowa", "Składowa", "Suwalska", "Kolejowa", "Sikorskiego"),
    ),
    "Bogdanowicza": (4, ("Bogdanowicza", "Kilińskiego", "Ks. Jerzego Popiełuszki")),
    "Tuwima": (4, ("Tuwima", "Gałczyńskiego", "Broniewskiego", "Baczyńskiego")),
    "Kochanowskiego": (4, ("Kochanowskiego", "Reja", "Kasprowicza", "Wyspiańskiego")),
    "Szyba": (3, ("Szyba", "Gizewiusza", "Kajki", "Kopernika")),
    "Kościuszki": (3, ("Kościuszki", "Mikołajczyka", "Piaski")),
}

# Districts preferred by industrial firms (warehouses, transport, construction, production).
INDUSTRIAL_DISTRICTS = ("Przemysłowe", "Zatorze", "Konieczki")

# Villages of the rural gmina around Ełk that share the 19-300 postal code (no district).
VILLAGES = ("Nowa Wieś Ełcka", "Chruściele", "Szeligi", "Mrozy Wielkie", "Regielnica", "Bajtkowo")

APPOINTMENT_PLACES = {
    "UM": ("pok. 112", "pok. 114", "pok. 210", "sala obsługi, stanowisko 3", "pok. 7 (parter)"),
    "ZGN": ("ul. Kolejowa 10, pok. 5", "ul. Kolejowa 10, pok. 12", "ul. Kolejowa 10, sala 1"),
}
