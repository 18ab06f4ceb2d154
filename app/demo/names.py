"""Polish personal names, surnames in both genders, brand words and email helpers."""

from __future__ import annotations

import random

MALE_FIRST = (
    "Jan", "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Marcin", "Michał", "Łukasz",
    "Grzegorz", "Mariusz", "Adam", "Wojciech", "Zbigniew", "Jerzy", "Tadeusz", "Rafał",
    "Dariusz", "Sławomir", "Jacek", "Kamil", "Mateusz", "Bartłomiej", "Przemysław", "Zdzisław",
    "Józef", "Stanisław", "Mirosław", "Artur", "Damian", "Sebastian", "Radosław", "Maciej",
)
FEMALE_FIRST = (
    "Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Krystyna",
    "Elżbieta", "Magdalena", "Joanna", "Zofia", "Danuta", "Teresa", "Monika", "Beata",
    "Dorota", "Aleksandra", "Iwona", "Justyna", "Jadwiga", "Urszula", "Grażyna", "Halina",
    "Natalia", "Sylwia", "Renata", "Agata", "Bożena", "Łucja", "Weronika", "Żaneta",
)
# (male form, female form); common across Poland plus names typical of Masuria and Podlasie.
SURNAMES = (
    ("Nowak", "Nowak"), ("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"),
    ("Wójcik", "Wójcik"), ("Kowalczyk", "Kowalczyk"), ("Kamiński", "Kamińska"),
    ("Lewandowski", "Lewandowska"), ("Zieliński", "Zielińska"), ("Szymański", "Szymańska"),
    ("Woźniak", "Woźniak"), ("Dąbrowski", "Dąbrowska"), ("Kozłowski", "Kozłowska"),
    ("Jankowski", "Jankowska"), ("Mazur", "Mazur"), ("Kwiatkowski", "Kwiatkowska"),
    ("Krawczyk", "Krawczyk"), ("Piotrowski", "Piotrowska"), ("Grabowski", "Grabowska"),
    ("Pawłowski", "Pawłowska"), ("Michalski", "Michalska"), ("Zając", "Zając"),
    ("Król", "Król"), ("Wieczorek", "Wieczorek"), ("Jabłoński", "Jabłońska"),
    ("Wróbel", "Wróbel"), ("Majewski", "Majewska"), ("Olszewski", "Olszewska"),
    ("Stępień", "Stępień"), ("Malinowski", "Malinowska"), ("Jaworski", "Jaworska"),
    ("Sadowski", "Sadowska"), ("Jasiński", "Jasińska"), ("Czarnecki", "Czarnecka"),
    ("Dudziński", "Dudzińska"), ("Chmielewski", "Chmielewska"), ("Sokołowski", "Sokołowska"),
    ("Żukowski", "Żukowska"), ("Łapiński", "Łapińska"), ("Kalinowski", "Kalinowska"),
    ("Grzegorczyk", "Grzegorczyk"), ("Bielawski", "Bielawska"), ("Ruszczyk", "Ruszczyk"),
    ("Orłowski", "Orłowska"), ("Chojnowski", "Chojnowska"), ("Szczęsny", "Szczęsna"),
    ("Kulesza", "Kulesza"), ("Borawski", "Borawska"), ("Dziekoński", "Dziekońska"),
    ("Łukaszewicz", "Łukaszewicz"), ("Gołębiewski", "Gołębiewska"), ("Żebrowski", "Żebrowska"),
)
# Brand words of local firms (used inside „…” or as a company name).
BRANDS = (
    "Mazury", "Bursztyn", "Jaćwing", "Sudovia", "Kormoran", "Łabędź", "Żuraw", "Kasztelan",
    "Promenada", "Nad Jeziorem", "Pod Lipami", "Pod Wieżą", "Złoty Kłos", "Stara Łaźnia",
    "Zielony Zakątek", "Rybaczówka", "Smak Mazur", "Ełczanka", "Warmia", "Lega", "Szuwary",
    "Pojezierze", "Kresy", "Zamek", "Wyspa", "Przystań", "Orzeł", "Sokół", "Jantar", "Północ",
)
BRAND_PREFIXES = ("Ełk", "Mazur", "Jezior", "Lega", "Bał", "Pol", "Euro", "Inter", "Nord")

_TRANSLIT = str.maketrans(
    {
        "ą": "a", "ć": "c", "ę": "e", "ł": "l", "ń": "n", "ó": "o", "ś": "s", "ź": "z",
        "ż": "z", "Ą": "A", "Ć": "C", "Ę": "E", "Ł": "L", "Ń": "N", "Ó": "O", "Ś": "S",
        "Ź": "Z", "Ż": "Z",
    }
)
FREE_MAIL = ("wp.pl", "o2.pl", "onet.pl", "interia.pl", "gmail.com", "poczta.fm", "op.pl")
FIRM_MAILBOXES = ("biuro", "kontakt", "sekretariat", "info", "ksiegowosc", "office")


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only (`ł` needs the explicit table)."""
    plain = text.translate(_TRANSLIT).lower()
    return "".join(ch for ch in plain if ch.isascii() and ch.isalnum())


def person(rng: random.Random) -> tuple[str, str, bool]:
    """A random (first name, surname, is_female) with the surname in the right gender."""
    female = rng.random() < 0.45
    first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
    male_form, female_form = rng.choice(SURNAMES)
    return first, female_form if female else male_form, female


def surname(rng: random.Random) -> str:
    """A surname in its male form (as firm names use it)."""
    return rng.choice(SURNAMES)[0]


def brand(rng: random.Random, suffixes: tuple[str, ...] = ("-Pol", "ex")) -> str:
    """A firm's brand word, sometimes a coined one such as `Ełk-Trans` (suffix per industry)."""
    if rng.random() < 0.65:
        return rng.choice(BRANDS)
    return rng.choice(BRAND_PREFIXES) + rng.choice(suffixes)
