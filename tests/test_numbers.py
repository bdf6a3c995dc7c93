"""Numbers read like a person writes them; cases in fixtures/cases/numbers.toml."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from bot import numbers

CASES = tomllib.loads((Path(__file__).parent / "fixtures/cases/numbers.toml").read_text("utf-8"))


@pytest.mark.parametrize(("n", "text"), CASES["tokens"], ids=str)
def test_tokens(n: int, text: str) -> None:
    assert numbers.tokens(n) == text


@pytest.mark.parametrize(("n", "text"), CASES["params"], ids=str)
def test_params(n: int, text: str) -> None:
    assert numbers.params(n) == text


@pytest.mark.parametrize(("n", "text"), CASES["size"], ids=str)
def test_size(n: int, text: str) -> None:
    assert numbers.size(n) == text


@pytest.mark.parametrize(("amount", "currency", "text"), CASES["money"], ids=str)
def test_money(amount: str, currency: str, text: str) -> None:
    assert numbers.money(Decimal(amount), currency) == text


@pytest.mark.parametrize(("per_token", "text"), CASES["per_million"], ids=str)
def test_per_token_price_shown_per_million(per_token: str, text: str) -> None:
    assert numbers.money(numbers.per_million(Decimal(per_token))) == text


@pytest.mark.parametrize(("before", "after", "text"), CASES["price_change"], ids=str)
def test_price_change(before: str, after: str, text: str) -> None:
    assert numbers.price_change(Decimal(before), Decimal(after)) == text


def test_decimal_refuses_non_numbers() -> None:
    assert numbers.decimal("0.00000028") == Decimal("0.00000028")
    assert numbers.decimal("n/a") is None and numbers.decimal("NaN") is None
