"""The docs value normaliser (cases in fixtures/cases/values.toml) and the table grid: merged
cells, stacked headers and both orientations, without a server."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from watchers import _html, docs_table

CASES = tomllib.loads((Path(__file__).parent.parent / "fixtures/cases/values.toml").read_text("utf-8"))


@pytest.mark.parametrize("case", CASES["tokens"], ids=lambda c: c["text"])
def test_token_counts_read_as_integers(case: dict[str, Any]) -> None:
    expected = {"text": " ".join(case["text"].split()), "tokens": case["tokens"]}
    assert _html.read_value(case["text"]) == expected


@pytest.mark.parametrize("case", CASES["prices"], ids=lambda c: c["text"])
def test_prices_read_as_exact_amount_currency_and_unit(case: dict[str, Any]) -> None:
    value = _html.read_value(case["text"], case.get("label", ""))
    assert value == {"text": case["text"], "amount": case["amount"], "currency": case["currency"],
                     "unit": case.get("unit")}


@pytest.mark.parametrize("case", CASES["plain"], ids=lambda c: c["text"])
def test_other_text_is_kept_as_text(case: dict[str, Any]) -> None:
    assert _html.read_value(case["text"], case.get("label", "")) == {"text": case["text"]}


@pytest.mark.parametrize("case", CASES["split"], ids=lambda c: c["text"])
def test_cells_holding_several_labelled_values_split(case: dict[str, Any]) -> None:
    assert _html.split_values(case["text"]) == [tuple(p) for p in case["parts"]]


def test_same_count_or_price_written_differently_is_the_same_value() -> None:
    assert _html.same_value(_html.read_value("128K"), _html.read_value("131,072"))
    assert _html.same_value(_html.read_value("$1.1", "1M"), _html.read_value("$1.10", "1M"))
    assert not _html.same_value(_html.read_value("128K"), _html.read_value("1M"))


def table(html: str) -> tuple[_html.Grid, int]:
    found = _html.parse(html).table
    assert found is not None
    return _html.grid(found)


def texts(cells: _html.Grid) -> list[list[str]]:
    return [[c.text for c in row] for row in cells]


def test_rowspan_and_colspan_fill_every_slot_they_cover() -> None:
    cells, head = table("""<table><tr><th rowspan="2">A</th><th colspan="2">B</th></tr>
        <tr><th>b1</th><th>b2</th></tr><tr><td>x</td><td colspan="2" rowspan="2">m</td></tr>
        <tr><td>y</td></tr></table>""")
    assert head == 2
    assert texts(cells) == [["A", "B", "B"], ["A", "b1", "b2"], ["x", "m", "m"], ["y", "m", "m"]]
    assert cells[2][1] is cells[3][2]


def test_stacked_headers_become_one_label_per_column() -> None:
    cells, head = table("""<table><thead>
        <tr><th rowspan="2">MODEL</th><th colspan="2">1M TOKENS PRICE</th></tr>
        <tr><th>INPUT</th><th>OUTPUT</th></tr></thead>
        <tbody><tr><td>deepseek-chat</td><td>$0.27</td><td>$1.10</td></tr></tbody></table>""")
    records = docs_table.parse_table(cells, head)
    assert list(records["deepseek-chat"]) == ["1M TOKENS PRICE / INPUT", "1M TOKENS PRICE / OUTPUT"]
    assert records["deepseek-chat"]["1M TOKENS PRICE / OUTPUT"]["unit"] == "per 1M tokens"


def test_a_label_spanning_rows_prefixes_each_of_them() -> None:
    cells, head = table("""<table><tr><th colspan="2">MODEL</th><th>a-1</th><th>b-2</th></tr>
        <tr><td rowspan="2">PRICING</td><td>1M INPUT TOKENS</td><td colspan="2">$0.56</td></tr>
        <tr><td>1M OUTPUT TOKENS</td><td>$1.68</td><td>$2.19</td></tr>
        <tr><td colspan="4">Prices are per 1M tokens.</td></tr></table>""")
    records = docs_table.parse_table(cells, head, "columns")
    assert records["b-2"] == {
        "PRICING / 1M INPUT TOKENS": {"text": "$0.56", "amount": "0.56", "currency": "USD",
                                      "unit": "per 1M tokens"},
        "PRICING / 1M OUTPUT TOKENS": {"text": "$2.19", "amount": "2.19", "currency": "USD",
                                       "unit": "per 1M tokens"}}


def test_footnote_markers_entities_and_whitespace_are_not_part_of_a_value() -> None:
    cells, head = table("""<table><tr><th>MODEL<sup>(1)</sup></th><th>CONTEXT&nbsp;LENGTH</th></tr>
        <tr><td> deepseek-chat<sup>1</sup> </td><td>
            64K\u200b <!-- was 32K --></td></tr></table>""")
    assert docs_table.parse_table(cells, head) == {
        "deepseek-chat": {"CONTEXT LENGTH": {"text": "64K", "tokens": 65536}}}


def test_key_option_picks_the_naming_column() -> None:
    cells, head = table("""<table><tr><th>Provider</th><th>Model</th><th>Context</th></tr>
        <tr><td>DeepSeek</td><td>deepseek-chat</td><td>128K</td></tr></table>""")
    assert list(docs_table.parse_table(cells, head, "rows", key="model")) == ["deepseek-chat"]


def test_nested_tables_do_not_add_rows() -> None:
    cells, _ = table("""<table><tr><th>MODEL</th><th>NOTES</th></tr>
        <tr><td>m-1</td><td><table><tr><td>inner</td></tr></table></td></tr></table>""")
    assert len(cells) == 2
