"""bot/business.py: loading, validating (with line numbers) and re-reading business.yml."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.business import (
    DEFAULT_BUSINESS_FILE,
    BusinessRulesCache,
    BusinessRulesError,
    load_business_rules,
    main,
    parse_business_rules,
)
from tests.conftest import ROOT

VALID_RULES = """\
company:
  name: Test Shop
  reference_prefix: TS
  currency_symbol: "$"
  human_reply_time: within the hour

authority:
  max_refund: 40
  max_discount_percent: 10

escalation:
  vent_turns_before_offering_human: 2
  fallbacks_before_offering_human: 2

categories:
  late_delivery:
    name: late delivery
    apology: I'm sorry your order is late
    limits:
      can: refund the delivery fee
      cannot: make the courier faster
    fixes:
      - id: refund_delivery_fee
        text: refund the delivery fee
        keywords: [delivery fee]
      - id: full_refund
        text: refund the whole order
        keywords: [full refund]
        needs_approval: true

cancellation:
  limits: unshipped orders can be cancelled straight away
"""


def line_of(text: str, fragment: str) -> int:
    """The 1-based number of the first line of ``text`` containing ``fragment``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(f"{fragment!r} is not in the text")


def write(tmp_path: Path, text: str, name: str = "business.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(BusinessRulesError) as caught:
        load_business_rules(write(tmp_path, text))
    return str(caught.value)


def test_the_real_business_file_loads_with_its_company_and_categories():
    rules = load_business_rules(DEFAULT_BUSINESS_FILE)

    assert rules.company_name == "Northwind Home"
    assert rules.reference_prefix == "NW"
    assert rules.max_refund == 50
    assert rules.max_discount_percent == 15
    assert set(rules.categories) == {
        "late_delivery",
        "damaged_item",
        "wrong_item",
        "billing",
        "refund",
        "account_access",
        "service",
        "faulty_item",
        "lost_parcel",
        "missing_item",
        "not_as_described",
        "price_not_applied",
        "subscription_charge",
        "refund_not_received",
        "delivery_experience",
    }
    assert rules.category("late_delivery").fixes[0].id == "refund_delivery_fee"
    assert rules.category("late_delivery").fixes[2].needs_approval is True


def test_a_valid_file_is_read_field_by_field(tmp_path):
    rules = load_business_rules(write(tmp_path, VALID_RULES))

    late = rules.category("late_delivery")
    assert rules.company_name == "Test Shop"
    assert rules.human_reply_time == "within the hour"
    assert rules.max_refund == 40
    assert rules.vent_turns_before_offering_human == 2
    assert late.can == "refund the delivery fee"
    assert late.cannot == "make the courier faster"
    assert [fix.needs_approval for fix in late.fixes] == [False, True]
    assert late.fixes[0].keywords == ("delivery fee",)
    assert rules.cancellation_limits == "unshipped orders can be cancelled straight away"


def test_an_unknown_category_is_a_key_error_naming_the_known_ones(tmp_path):
    rules = load_business_rules(write(tmp_path, VALID_RULES))

    with pytest.raises(KeyError, match="late_delivery"):
        rules.category("lost_parcel")


def test_malformed_yaml_names_the_line_of_the_mistake(tmp_path):
    broken = VALID_RULES.replace("  max_refund: 40", "  max_refund: [40")

    message = load_error(tmp_path, broken)

    assert "not valid YAML" in message
    # The unclosed list is noticed where the mapping carries on.
    assert f"line {line_of(broken, 'max_discount_percent')}:" in message


def test_a_tab_indented_line_names_that_line(tmp_path):
    broken = VALID_RULES.replace("  currency_symbol:", "\tcurrency_symbol:")

    message = load_error(tmp_path, broken)

    assert f"line {line_of(broken, 'currency_symbol')}:" in message


def test_a_category_without_limits_names_the_category_and_its_line(tmp_path):
    broken = VALID_RULES.replace(
        "    limits:\n      can: refund the delivery fee\n      cannot: make the courier faster\n",
        "",
    )

    message = load_error(tmp_path, broken)

    assert "category 'late_delivery' is missing 'limits'" in message
    assert f"line {line_of(broken, 'name: late delivery')}:" in message


def test_a_missing_company_field_names_the_company_block(tmp_path):
    broken = VALID_RULES.replace("  human_reply_time: within the hour\n", "")

    message = load_error(tmp_path, broken)

    assert "company is missing 'human_reply_time'" in message
    assert f"line {line_of(broken, 'name: Test Shop')}:" in message


def test_a_max_refund_that_is_not_a_number_names_its_line(tmp_path):
    broken = VALID_RULES.replace("max_refund: 40", "max_refund: forty")

    message = load_error(tmp_path, broken)

    assert "authority.max_refund must be a number" in message
    assert "'forty'" in message
    assert f"line {line_of(broken, 'max_refund')}:" in message


def test_a_negative_max_refund_is_rejected_on_its_line(tmp_path):
    broken = VALID_RULES.replace("max_refund: 40", "max_refund: -5")

    message = load_error(tmp_path, broken)

    assert "authority.max_refund must be at least 0" in message
    assert f"line {line_of(broken, 'max_refund')}:" in message


def test_a_needs_approval_that_is_not_a_flag_names_its_line(tmp_path):
    broken = VALID_RULES.replace("needs_approval: true", "needs_approval: maybe")

    message = load_error(tmp_path, broken)

    assert "needs_approval must be true or false" in message
    assert f"line {line_of(broken, 'needs_approval')}:" in message


def test_a_key_given_twice_names_the_second_one(tmp_path):
    broken = VALID_RULES.replace(
        "  max_discount_percent: 10\n", "  max_discount_percent: 10\n  max_refund: 60\n"
    )

    message = load_error(tmp_path, broken)

    assert "authority has 'max_refund' twice" in message
    assert f"line {line_of(broken, 'max_refund: 60')}:" in message


def test_a_category_whose_fixes_all_need_approval_is_rejected(tmp_path):
    broken = VALID_RULES.replace(
        "        keywords: [delivery fee]\n",
        "        keywords: [delivery fee]\n        needs_approval: true\n",
    )

    message = load_error(tmp_path, broken)

    assert "category 'late_delivery' needs at least one fix without needs_approval" in message
    assert f"line {line_of(broken, '- id: refund_delivery_fee')}:" in message


def test_an_empty_file_is_reported_as_empty(tmp_path):
    assert "the file is empty" in load_error(tmp_path, "# nothing here\n")


def test_a_missing_file_is_a_business_rules_error(tmp_path):
    with pytest.raises(BusinessRulesError, match="cannot read the business file"):
        load_business_rules(tmp_path / "absent.yml")


def bump_mtime(path: Path) -> None:
    """Make sure the file's stamp changes even on coarse-mtime filesystems."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_the_cache_picks_up_an_edited_file(tmp_path):
    path = write(tmp_path, VALID_RULES)
    cache = BusinessRulesCache(path)
    assert cache.get().company_name == "Test Shop"

    path.write_text(VALID_RULES.replace("Test Shop", "Edited Shop"), encoding="utf-8")
    bump_mtime(path)

    assert cache.get().company_name == "Edited Shop"
    assert cache.last_error is None


def test_the_cache_notices_a_change_of_size_alone(tmp_path):
    path = write(tmp_path, VALID_RULES)
    cache = BusinessRulesCache(path)
    cache.get()
    mtime_ns = path.stat().st_mtime_ns

    path.write_text(VALID_RULES.replace("max_refund: 40", "max_refund: 400"), encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))

    assert cache.get().max_refund == 400


def test_the_cache_keeps_the_last_good_rules_when_the_file_becomes_invalid(tmp_path):
    path = write(tmp_path, VALID_RULES)
    cache = BusinessRulesCache(path)
    good = cache.get()

    path.write_text(VALID_RULES.replace("max_refund: 40", "max_refund: lots"), encoding="utf-8")
    bump_mtime(path)

    assert cache.get() == good
    assert isinstance(cache.last_error, BusinessRulesError)
    assert "max_refund must be a number" in str(cache.last_error)


def test_the_cache_clears_the_error_once_the_file_is_fixed(tmp_path):
    path = write(tmp_path, VALID_RULES)
    cache = BusinessRulesCache(path)
    cache.get()
    path.write_text("company: [", encoding="utf-8")
    bump_mtime(path)
    cache.get()
    assert cache.last_error is not None

    path.write_text(VALID_RULES.replace("max_refund: 40", "max_refund: 45"), encoding="utf-8")
    bump_mtime(path)

    assert cache.get().max_refund == 45
    assert cache.last_error is None


def test_the_cache_raises_when_the_first_read_is_invalid(tmp_path):
    path = write(tmp_path, "company: [")

    with pytest.raises(BusinessRulesError):
        BusinessRulesCache(path).get()


def test_the_cache_keeps_the_last_good_rules_while_the_file_is_briefly_missing(tmp_path):
    # Some editors and deploy scripts remove the file before writing the new one.
    path = write(tmp_path, VALID_RULES)
    cache = BusinessRulesCache(path)
    good = cache.get()

    path.unlink()

    assert cache.get() == good
    assert isinstance(cache.last_error, BusinessRulesError)


def test_the_check_command_exits_0_for_a_valid_file(tmp_path, capsys):
    path = write(tmp_path, VALID_RULES)

    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "ok" in out
    assert "1 complaint categories" in out
    assert "Test Shop" in out


def test_the_check_command_exits_1_and_names_the_line_of_an_invalid_file(tmp_path, capsys):
    broken = VALID_RULES.replace("max_refund: 40", "max_refund: forty")
    path = write(tmp_path, broken)

    assert main([str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert f"line {line_of(broken, 'max_refund')}:" in err


def test_the_check_command_exits_1_for_a_missing_file(tmp_path, capsys):
    assert main([str(tmp_path / "absent.yml")]) == 1
    assert "cannot read the business file" in capsys.readouterr().err


def test_the_check_command_defaults_to_the_business_file_setting(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BUSINESS_FILE", str(write(tmp_path, VALID_RULES, "custom.yml")))

    assert main([]) == 0
    assert "custom.yml: ok" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(20, "$20"), (20.0, "$20"), (49.99, "$49.99"), (20.5, "$20.50"), (0.5, "$0.50")],
)
def test_money_is_written_as_the_customer_reads_it(amount, expected):
    rules = load_business_rules(DEFAULT_BUSINESS_FILE)

    assert rules.money(amount) == expected


def test_texts_can_use_the_authority_values(tmp_path):
    source = (ROOT / "business.yml").read_text()
    rules = parse_business_rules(source, tmp_path / "business.yml")
    assert "up to $50" in rules.category("billing").can

    edited = source.replace("max_refund: 50", "max_refund: 75.5")
    assert (
        "up to $75.50" in parse_business_rules(edited, tmp_path / "b.yml").category("billing").can
    )


def test_an_unknown_placeholder_is_reported_with_its_line(tmp_path):
    source = (
        (ROOT / "business.yml")
        .read_text()
        .replace(
            "apology: I'm sorry you received the wrong item",
            "apology: I'm sorry you received the wrong {item}",
        )
    )
    line = next(i for i, row in enumerate(source.splitlines(), 1) if "wrong {item}" in row)
    with pytest.raises(BusinessRulesError, match=rf"line {line}: .*\{{item\}}"):
        parse_business_rules(source, tmp_path / "business.yml")
