"""Numbers as people write them in release notes: 128K tokens, 685B parameters, 688.6 GB,
$0.28 per 1M tokens (−75%). Shared by every watcher and notifier so they all read alike."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

KIB, MIB = 1024, 1024 * 1024
MINUS = "\u2212"
SYMBOLS = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£"}


def grouped(n: int) -> str:
    """1048576 -> '1,048,576'."""
    return f"{n:,}"


def tokens(n: int) -> str:
    """A context window as labs write it: 131072 -> '128K', 1048576 -> '1M', 128000 -> '128K'.
    Round decimal numbers read as decimal, the rest as binary multiples (the context-window
    convention: 128K = 131,072), else grouped digits."""
    for unit, suffix in ((1_000_000, "M"), (1000, "K"), (MIB, "M"), (KIB, "K")):
        if n >= unit and n % unit == 0:
            return f"{n // unit}{suffix}"
    return grouped(n)


def _three_digits(value: float) -> str:
    text = f"{value:.3g}" if value < 1000 else f"{value:.0f}"
    return text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text


def params(n: int) -> str:
    """684_531_386_000 -> '685B'; 1.2e12 -> '1.2T'; 350e6 -> '350M'."""
    for unit, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if n >= unit:
            return _three_digits(n / unit) + suffix
    return str(n)


def size(n_bytes: int) -> str:
    """Decimal units, as the Hub shows them: 688_586_000_000 -> '688.6 GB'."""
    for unit, suffix in ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "kB")):
        if n_bytes >= unit:
            return f"{n_bytes / unit:.1f} {suffix}"
    return f"{n_bytes} B"


def decimal(value: object) -> Decimal | None:
    """An exact decimal from a string or number ('0.00000028'), or None if it is not one."""
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def money(amount: Decimal, currency: str = "USD") -> str:
    """'$0.28', '$1.10', '$0.014', '¥2.00'; never a float artefact."""
    text = format(amount.normalize(), "f")
    whole, _, frac = text.partition(".")
    text = f"{whole}.{frac.ljust(2, '0')}"
    symbol = SYMBOLS.get(currency.upper())
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def per_million(price_per_token: Decimal) -> Decimal:
    """USD per token (OpenRouter's unit) -> per 1M tokens, exactly."""
    return (price_per_token * 1_000_000).normalize()


def percent_change(before: Decimal | float, after: Decimal | float) -> str | None:
    """'−75%', '+12.5%'; None when there is no meaningful base."""
    b, a = Decimal(str(before)), Decimal(str(after))
    if b == 0:
        return None
    change = (a - b) / b * 100
    text = f"{abs(change):.0f}" if abs(change) >= 10 else _three_digits(float(abs(change)))
    return f"{MINUS if change < 0 else '+'}{text}%"


def price_change(before: Decimal, after: Decimal, *, currency: str = "USD",
                 unit: str = "per 1M tokens") -> str:
    """'$1.10 → $0.28 per 1M tokens (−75%)'."""
    pct = percent_change(before, after)
    tail = f" ({pct})" if pct else ""
    return f"{money(before, currency)} → {money(after, currency)} {unit}{tail}"
