"""Industries (branże) of demo contractors: PKD codes, trade names and what each typically owes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Activity:
    """One line of business: its PKD code, the trade word in firm names, alcohol licence odds."""

    pkd: str
    trade: str
    weight: int
    alcohol: float = 0.0
    licences: tuple[str, ...] = ("A", "A,B", "A,B,C")


@dataclass(frozen=True)
class Industry:
    """A BRANZA value with its activities and the shares of the charges it usually carries."""

    key: str
    weight: int
    activities: tuple[Activity, ...]
    company_words: tuple[str, ...]
    suffixes: tuple[str, ...]
    kinds: tuple[int, int, int]  # weights of OF, OP, JO
    m2: tuple[float, float]  # usable floor area of a micro firm (scaled up with size)
    vehicles: tuple[float, int, int] = (0.0, 0, 0)  # share owning taxed vehicles, min, max
    lease: float = 0.3  # share renting municipal land or premises from ZGN
    usufruct: float = 0.1  # share holding municipal land in perpetual usufruct
    market: float = 0.0  # share with a stall at the municipal market
    garden: float = 0.0  # share with a summer garden on the pavement


INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "gastronomia", 9,
        (
            Activity("56.10.A", "Restauracja", 5, 0.75),
            Activity("56.10.A", "Pizzeria", 3, 0.55, ("A", "A,B")),
            Activity("56.10.A", "Bistro", 2, 0.3, ("A",)),
            Activity("56.30.Z", "Pub", 2, 1.0, ("A,B,C", "A,B")),
            Activity("56.30.Z", "Kawiarnia", 2, 0.25, ("A", "A,B")),
            Activity("56.21.Z", "Catering", 1, 0.1, ("A",)),
            Activity("56.10.B", "Gastronomia Mobilna", 1),
        ),
        ("Przedsiębiorstwo Gastronomiczne", "Restauracje"), ("-Gastro", "-Food"),
        (60, 30, 10), (60, 180), lease=0.55, usufruct=0.05, garden=0.25,
    ),
    Industry(
        "handel", 20,
        (
            Activity("47.11.Z", "Sklep Spożywczy", 6, 0.55, ("A", "A,B,C")),
            Activity("47.25.Z", "Sklep Monopolowy", 2, 1.0, ("A,B,C",)),
            Activity("47.71.Z", "Sklep Odzieżowy", 3),
            Activity("47.52.Z", "Skład Budowlany", 2),
            Activity("47.73.Z", "Apteka", 2),
            Activity("47.76.Z", "Kwiaciarnia", 2),
            Activity("47.41.Z", "Sklep Komputerowy", 1),
            Activity("47.81.Z", "Handel Obwoźny", 2),
        ),
        ("Przedsiębiorstwo Handlowe", "Dom Handlowy", "Hurtownia i Sklepy"), ("-Pol", "-Market"),
        (60, 30, 10), (40, 220), lease=0.35, usufruct=0.08, market=0.18,
    ),
    Industry(
        "hurt napojów", 2,
        (Activity("46.34.A", "Hurtownia Napojów", 1, 1.0, ("A,B,C", "A", "A,B")),),
        ("Hurtownia Napojów", "Dystrybucja Napojów"), ("-Drink", "-Hurt"),
        (20, 65, 15), (300, 900), vehicles=(0.8, 2, 12), lease=0.2, usufruct=0.2,
    ),
    Industry(
        "transport", 8,
        (
            Activity("49.41.Z", "Transport Drogowy", 6),
            Activity("49.32.Z", "Przewóz Osób Taxi", 2),
            Activity("49.39.Z", "Przewozy Autobusowe", 1),
            Activity("52.29.C", "Spedycja", 1),
        ),
        ("Firma Transportowa", "Przedsiębiorstwo Transportowe", "Spedycja"),
        ("-Trans", "-Logistic", "-Cargo"),
        (50, 40, 10), (80, 400), vehicles=(0.85, 1, 40), lease=0.15, usufruct=0.15,
    ),
    Industry(
        "budownictwo", 9,
        (
            Activity("41.20.Z", "Usługi Budowlane", 4),
            Activity("43.21.Z", "Instalacje Elektryczne", 2),
            Activity("43.22.Z", "Instalacje Sanitarne", 2),
            Activity("43.32.Z", "Stolarka Budowlana", 1),
            Activity("42.11.Z", "Budowa Dróg", 1),
        ),
        ("Przedsiębiorstwo Budowlane", "Zakład Remontowo-Budowlany"), ("-Bud", "-Dom"),
        (55, 35, 10), (60, 500), vehicles=(0.35, 1, 15), lease=0.25, usufruct=0.15,
    ),
    Industry(
        "nieruchomości", 5,
        (
            Activity("68.20.Z", "Wynajem Nieruchomości", 4),
            Activity("68.31.Z", "Biuro Nieruchomości", 2),
            Activity("68.32.Z", "Zarządzanie Nieruchomościami", 1),
        ),
        ("Zarządca Nieruchomości", "Towarzystwo Budownictwa"), ("-Dom", "-Invest"),
        (35, 50, 15), (300, 4000), lease=0.35, usufruct=0.45,
    ),
    Industry(
        "motoryzacja", 6,
        (
            Activity("45.20.Z", "Warsztat Samochodowy", 4),
            Activity("45.11.Z", "Salon Samochodowy", 1),
            Activity("45.32.Z", "Części Samochodowe", 2),
            Activity("47.30.Z", "Stacja Paliw", 1, 0.6, ("A",)),
        ),
        ("Auto Serwis", "Przedsiębiorstwo Motoryzacyjne"), ("-Car", "-Auto", "-Moto"),
        (60, 32, 8), (120, 900), vehicles=(0.15, 1, 4), lease=0.3, usufruct=0.2,
    ),
    Industry(
        "piekarnictwo", 3,
        (
            Activity("10.71.Z", "Piekarnia", 3),
            Activity("10.71.Z", "Cukiernia", 2),
        ),
        ("Piekarnia", "Zakłady Piekarnicze"), ("-Piek", "pol"),
        (45, 35, 20), (120, 700), vehicles=(0.4, 1, 6), lease=0.3, usufruct=0.1, market=0.2,
    ),
    Industry(
        "medycyna", 6,
        (
            Activity("86.21.Z", "Gabinet Lekarski", 4),
            Activity("86.23.Z", "Gabinet Stomatologiczny", 3),
            Activity("86.90.A", "Fizjoterapia", 2),
            Activity("75.00.Z", "Gabinet Weterynaryjny", 1),
        ),
        ("Centrum Medyczne", "Przychodnia"), ("-Med", "med"),
        (70, 25, 5), (40, 300), lease=0.4, usufruct=0.05,
    ),
    Industry(
        "IT", 5,
        (
            Activity("62.01.Z", "Usługi Programistyczne", 3),
            Activity("62.02.Z", "Doradztwo Informatyczne", 1),
            Activity("63.11.Z", "Hosting i Przetwarzanie Danych", 1),
        ),
        ("Software House", "Systemy Informatyczne"), ("-Soft", "-Net", "-IT"),
        (65, 33, 2), (20, 250), lease=0.15, usufruct=0.02,
    ),
    Industry(
        "hotelarstwo", 3,
        (
            Activity("55.10.Z", "Hotel", 2, 0.8, ("A,B,C", "A,B")),
            Activity("55.20.Z", "Pensjonat", 3, 0.4, ("A", "A,B")),
            Activity("55.30.Z", "Pole Namiotowe", 1),
        ),
        ("Hotel", "Ośrodek Wypoczynkowy"), ("-Tour", "-Hotel"),
        (40, 45, 15), (250, 2500), lease=0.3, usufruct=0.4, garden=0.2,
    ),
    Industry(
        "usługi", 12,
        (
            Activity("96.02.Z", "Salon Fryzjerski", 4),
            Activity("96.04.Z", "Gabinet Kosmetyczny", 2),
            Activity("69.20.Z", "Biuro Rachunkowe", 3),
            Activity("71.11.Z", "Pracownia Architektoniczna", 1),
            Activity("74.20.Z", "Studio Fotograficzne", 1),
            Activity("95.23.Z", "Naprawa Obuwia", 1),
            Activity("81.21.Z", "Usługi Porządkowe", 1),
        ),
        ("Zakład Usługowy", "Centrum Usług"), ("-Serwis", "-Usługi"),
        (80, 15, 5), (20, 150), lease=0.4, usufruct=0.03, market=0.03,
    ),
    Industry(
        "produkcja", 5,
        (
            Activity("16.23.Z", "Stolarnia", 2),
            Activity("31.09.Z", "Fabryka Mebli", 2),
            Activity("25.11.Z", "Konstrukcje Stalowe", 1),
            Activity("22.22.Z", "Produkcja Opakowań", 1),
            Activity("10.13.Z", "Wędliniarnia", 1),
        ),
        ("Zakłady Produkcyjne", "Przedsiębiorstwo Produkcyjne"), ("-Plast", "-Met", "-Drew"),
        (30, 60, 10), (300, 3000), vehicles=(0.45, 1, 12), lease=0.25, usufruct=0.35,
        market=0.03,
    ),
    Industry(
        "edukacja", 2,
        (
            Activity("85.59.B", "Szkoła Językowa", 2),
            Activity("85.51.Z", "Szkoła Pływania", 1),
            Activity("85.53.Z", "Szkoła Jazdy", 1),
        ),
        ("Centrum Edukacji", "Akademia"), ("-Edu", "-Lingua"),
        (60, 25, 15), (60, 400), vehicles=(0.1, 1, 3), lease=0.45, usufruct=0.05,
    ),
)

# Firm size (WIELKOSC): weights for OF, OP, JO; employees range; floor-area multiplier.
SIZES = {
    "mikro": ((90, 60, 75), (0, 9), 1.0),
    "mala": ((9, 28, 20), (10, 49), 3.0),
    "srednia": ((1, 10, 5), (50, 249), 8.0),
    "duza": ((0, 2, 0), (250, 900), 20.0),
}
