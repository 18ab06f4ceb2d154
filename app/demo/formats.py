"""Legacy export formats (dates, amounts, flags) and valid Polish identifiers for demo data."""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from stdnum.pl import nip, pesel, regon

ENCODING = "cp1250"


class LegacyDialect(csv.Dialect):
    """The legacy export: `;` separated, `"` quoting only where needed, CRLF line ends."""

    delimiter = ";"
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL


@lru_cache(maxsize=4096)
def fmt_date(day: date | None) -> str:
    """A date as `DD.MM.RRRR` (empty for None)."""
    return f"{day.day:02d}.{day.month:02d}.{day.year}" if day else ""


def fmt_datetime(moment: datetime) -> str:
    """A date-time as `DD.MM.RRRR HH:MM`."""
    return f"{fmt_date(moment.date())} {moment.hour:02d}:{moment.minute:02d}"


@lru_cache(maxsize=65536)
def fmt_grosze(grosze: int) -> str:
    """An amount in grosze as `1 234,56` (space as thousands separator, decimal comma)."""
    whole, cents = divmod(grosze, 100)
    return f"{whole:,}".replace(",", " ") + f",{cents:02d}"


def fmt_decimal(value: float, places: int = 2) -> str:
    """A plain decimal with a comma and no thousands separator, as attributes hold it."""
    return f"{value:.{places}f}".replace(".", ",")


def flag(value: bool) -> str:
    """`T` or `N`."""
    return "T" if value else "N"


@lru_cache(maxsize=16)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.Poland(years=range(year - 1, year + 3))


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    """False for Saturdays, Sundays and Polish public holidays."""
    return day.weekday() < 5 and day not in _holidays(day.year)


@lru_cache(maxsize=4096)
def next_working_day(day: date) -> date:
    """The day itself when it is a working day, else the next working day (art. 12 §5 O.p.)."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _digits(rng: random.Random, count: int) -> str:
    return f"{rng.randrange(10**count):0{count}d}"


def make_nip(rng: random.Random, prefix: str | None = None) -> str:
    """A NIP with a valid checksum; `prefix` is the 3-digit tax office code."""
    while True:
        body = (prefix or str(rng.randint(101, 999))) + _digits(rng, 6)
        check = nip.checksum(body + "0") % 11
        if check != 10:
            return body + str(check)


def format_nip(number: str, style: int) -> str:
    """A NIP written one of the ways the legacy data holds it (plain, 3-3-2-2, 3-2-2-3)."""
    if style == 1:
        return f"{number[:3]}-{number[3:6]}-{number[6:8]}-{number[8:]}"
    if style == 2:
        return f"{number[:3]}-{number[3:5]}-{number[5:7]}-{number[7:]}"
    return number


def make_regon(rng: random.Random, prefix: str = "28", local_unit: bool = False) -> str:
    """A 9-digit REGON (or a 14-digit one of a local unit) with valid check digits."""
    base = prefix + _digits(rng, 8 - len(prefix))
    base += regon.calc_check_digit(base)
    if not local_unit:
        return base
    longer = base + _digits(rng, 4)
    return longer + regon.calc_check_digit(longer)


def make_pesel(rng: random.Random, born: date, female: bool) -> str:
    """A PESEL for the birth date and sex, with a valid check digit."""
    century = {1800: 80, 1900: 0, 2000: 20}[born.year // 100 * 100]
    serial = _digits(rng, 3) + str(rng.choice("02468" if female else "13579"))
    body = f"{born.year % 100:02d}{born.month + century:02d}{born.day:02d}{serial}"
    return body + pesel.calc_check_digit(body)


# Polish mobile ranges (first three digits) that libphonenumber knows as mobile.
MOBILE_PREFIXES = (
    "500", "501", "502", "503", "504", "505", "506", "507", "508", "509", "510", "511", "512",
    "513", "514", "515", "516", "517", "518", "519", "530", "531", "532", "533", "534", "535",
    "536", "537", "538", "539", "570", "571", "572", "573", "574", "575", "576", "577", "578",
    "579", "600", "601", "602", "603", "604", "605", "606", "607", "608", "609", "660", "661",
    "662", "663", "664", "665", "666", "667", "668", "669", "690", "691", "692", "693", "694",
    "695", "696", "697", "698", "720", "721", "722", "723", "724", "725", "726", "727", "728",
    "729", "730", "731", "732", "733", "734", "735", "736", "737", "738", "739", "780", "781",
    "782", "783", "784", "785", "786", "787", "788", "789", "790", "791", "792", "793", "794",
    "795", "796", "797", "798", "799", "880", "881", "882", "883", "884", "885", "886", "887",
    "888", "889",
)


def make_mobile(rng: random.Random) -> str:
    """Nine digits of a Polish mobile number."""
    return rng.choice(MOBILE_PREFIXES) + _digits(rng, 6)


def format_phone(number: str, style: int) -> str:
    """A phone written one of the free forms the legacy system holds."""
    a, b, c = number[:3], number[3:6], number[6:]
    return (
        number,
        f"+48 {a}-{b}-{c}",
        f"0048{number}",
        f"{a} {b} {c}",
        f"+48{number}",
        f"{a}-{b}-{c}",
    )[style]
