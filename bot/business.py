"""The company's business rules, read from ``business.yml``.

The file is validated node by node so that every mistake is reported with the
line it is on. ``BusinessRulesCache`` re-reads the file when it changes, so the
action server picks up edits without a restart or retraining.

This module imports no rasa: the gateway and the action server both use it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.config_files import ReloadingFile, compose_document

DEFAULT_BUSINESS_FILE = Path(__file__).resolve().parent.parent / "business.yml"


class BusinessRulesError(ValueError):
    """``business.yml`` is missing, malformed or incomplete."""


COST_KINDS = ("none", "delivery_fee", "amount_in_question")
"""The costs a fix may name besides a fixed number (see business.yml, ``authority``)."""


@dataclass(frozen=True)
class Fix:
    """A fix the assistant may offer for one complaint category."""

    id: str
    text: str
    keywords: tuple[str, ...]
    needs_approval: bool
    cost: str = "amount_in_question"
    """``none``, ``delivery_fee``, ``amount_in_question`` or ``fixed`` (then ``fixed_cost``);
    a fix that names no cost costs the amount in question, the cautious reading."""
    fixed_cost: float | None = None
    timeline: str | None = None
    """What happens next and how long it takes, said when the customer asks after the
    fix was agreed ("how long will the replacement take?")."""


@dataclass(frozen=True)
class Category:
    """One complaint category: how to name it, its limits and its fixes."""

    id: str
    name: str
    apology: str
    can: str
    cannot: str
    fixes: tuple[Fix, ...]


@dataclass(frozen=True)
class BusinessRules:
    """Everything the assistant needs to know about the company."""

    company_name: str
    reference_prefix: str
    currency_symbol: str
    human_reply_time: str
    delivery_fee: float | None
    """The standard delivery fee (``company.delivery_fee``); ``None`` when not given, so a
    fix costing the delivery fee has an unknown cost."""
    confirmation_email: str
    refund_timeline: str
    """When money the assistant refunds reaches the customer (``company.refund_timeline``)."""
    help_centre: str
    """Where questions that are not complaints are answered (``company.help_centre``)."""
    enquiries_contact: str
    """Where press, job and partnership enquiries go (``company.enquiries_contact``)."""
    max_refund: float
    max_discount_percent: float
    vent_turns_before_offering_human: int
    fallbacks_before_offering_human: int
    categories: dict[str, Category]
    cancellation_limits: str

    def category(self, category_id: str) -> Category:
        """The category with this id; ``KeyError`` names the known ones."""
        try:
            return self.categories[category_id]
        except KeyError:
            known = ", ".join(sorted(self.categories))
            raise KeyError(f"unknown category {category_id!r} (known: {known})") from None

    def money(self, amount: float) -> str:
        """An amount as the customer reads it: ``$49.99``, ``$20``."""
        return format_money(self.currency_symbol, amount)


def format_money(currency_symbol: str, amount: float) -> str:
    return f"{currency_symbol}{f'{amount:.2f}'.removesuffix('.00')}"


_PLACEHOLDER = re.compile(r"\{(\w*)\}")


class _Reader:
    """Walks the composed YAML nodes, reporting errors with their line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.placeholders: dict[str, str] = {}

    def fail(self, node: Node, message: str) -> BusinessRulesError:
        return BusinessRulesError(f"{self.path}, line {node.start_mark.line + 1}: {message}")

    def mapping(self, node: Node, what: str) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            raise self.fail(node, f"{what} must be a mapping of keys to values")
        result: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in result:
                raise self.fail(key_node, f"{what} has '{key}' twice")
            result[key] = value_node
        return result

    def child(self, parent: Node, fields: dict[str, Node], key: str, what: str) -> Node:
        if key not in fields:
            raise self.fail(parent, f"{what} is missing '{key}'")
        return fields[key]

    def text(self, node: Node, what: str) -> str:
        if not isinstance(node, ScalarNode) or not str(node.value).strip():
            raise self.fail(node, f"{what} must be a non-empty text")
        return str(node.value).strip()

    def sentence(self, node: Node, what: str) -> str:
        """A text said to customers, with ``{max_refund}`` and friends filled in."""
        text = self.text(node, what)
        for name in _PLACEHOLDER.findall(text):
            if name not in self.placeholders:
                known = ", ".join(f"{{{key}}}" for key in self.placeholders)
                raise self.fail(node, f"{what} uses {{{name}}}, which is not one of {known}")
        return _PLACEHOLDER.sub(lambda match: self.placeholders[match.group(1)], text)

    def number(self, node: Node, what: str, minimum: float = 0) -> float:
        try:
            value = float(self.text(node, what))
        except ValueError:
            raise self.fail(node, f"{what} must be a number, not {node.value!r}") from None
        if value < minimum:
            raise self.fail(node, f"{what} must be at least {minimum:g}")
        return value

    def flag(self, node: Node, what: str) -> bool:
        value = self.text(node, what).lower()
        if value not in {"true", "false", "yes", "no"}:
            raise self.fail(node, f"{what} must be true or false, not {node.value!r}")
        return value in {"true", "yes"}

    def texts(self, node: Node, what: str) -> tuple[str, ...]:
        if not isinstance(node, SequenceNode) or not node.value:
            raise self.fail(node, f"{what} must be a non-empty list")
        return tuple(self.text(item, f"each of {what}").lower() for item in node.value)


def _read_cost(reader: _Reader, node: Node, where: str) -> tuple[str, float | None]:
    value = reader.text(node, f"{where} cost").lower()
    if value in COST_KINDS:
        return value, None
    try:
        amount = float(value)
    except ValueError:
        raise reader.fail(
            node, f"{where} cost must be none, delivery_fee, amount_in_question or a number"
        ) from None
    if amount < 0:
        raise reader.fail(node, f"{where} cost must be at least 0")
    return "fixed", amount


def _read_fix(reader: _Reader, node: Node, where: str) -> Fix:
    fields = reader.mapping(node, where)
    cost, fixed_cost = (
        _read_cost(reader, fields["cost"], where)
        if "cost" in fields
        else ("amount_in_question", None)
    )
    return Fix(
        id=reader.text(reader.child(node, fields, "id", where), f"{where} id"),
        text=reader.sentence(reader.child(node, fields, "text", where), f"{where} text"),
        keywords=reader.texts(reader.child(node, fields, "keywords", where), f"{where} keywords"),
        needs_approval=reader.flag(fields["needs_approval"], f"{where} needs_approval")
        if "needs_approval" in fields
        else False,
        cost=cost,
        fixed_cost=fixed_cost,
        timeline=reader.text(fields["timeline"], f"{where} timeline")
        if "timeline" in fields
        else None,
    )


def _read_category(reader: _Reader, category_id: str, node: Node) -> Category:
    where = f"category '{category_id}'"
    fields = reader.mapping(node, where)
    limits_node = reader.child(node, fields, "limits", where)
    limits = reader.mapping(limits_node, f"{where} limits")
    fixes_node = reader.child(node, fields, "fixes", where)
    if not isinstance(fixes_node, SequenceNode) or not fixes_node.value:
        raise reader.fail(fixes_node, f"{where} fixes must be a non-empty list")
    fixes = tuple(
        _read_fix(reader, item, f"{where} fix {index + 1}")
        for index, item in enumerate(fixes_node.value)
    )
    if all(fix.needs_approval for fix in fixes):
        raise reader.fail(fixes_node, f"{where} needs at least one fix without needs_approval")
    return Category(
        id=category_id,
        name=reader.text(reader.child(node, fields, "name", where), f"{where} name"),
        apology=reader.sentence(reader.child(node, fields, "apology", where), f"{where} apology"),
        can=reader.sentence(reader.child(limits_node, limits, "can", where), f"{where} limits.can"),
        cannot=reader.sentence(
            reader.child(limits_node, limits, "cannot", where), f"{where} limits.cannot"
        ),
        fixes=fixes,
    )


def parse_business_rules(source: str, path: Path) -> BusinessRules:
    """Parse and validate the text of a business file."""
    reader = _Reader(path)
    root = compose_document(source, path, BusinessRulesError)
    top = reader.mapping(root, "the file")
    company_node = reader.child(root, top, "company", "the file")
    company = reader.mapping(company_node, "company")
    authority_node = reader.child(root, top, "authority", "the file")
    authority = reader.mapping(authority_node, "authority")
    escalation_node = reader.child(root, top, "escalation", "the file")
    escalation = reader.mapping(escalation_node, "escalation")

    def company_text(key: str, default: str | None = None) -> str:
        if default is not None and key not in company:
            return default
        return reader.text(reader.child(company_node, company, key, "company"), f"company.{key}")

    def authority_number(key: str) -> float:
        node = reader.child(authority_node, authority, key, "authority")
        return reader.number(node, f"authority.{key}")

    def escalation_turns(key: str) -> int:
        node = reader.child(escalation_node, escalation, key, "escalation")
        return int(reader.number(node, f"escalation.{key}", minimum=1))

    company_name = company_text("name")
    currency_symbol = company_text("currency_symbol")
    max_refund = authority_number("max_refund")
    max_discount_percent = authority_number("max_discount_percent")
    reader.placeholders = {
        "company_name": company_name,
        "max_refund": format_money(currency_symbol, max_refund),
        "max_discount_percent": f"{max_discount_percent:g}%",
    }
    categories_node = reader.child(root, top, "categories", "the file")
    categories = {
        category_id: _read_category(reader, category_id, node)
        for category_id, node in reader.mapping(categories_node, "categories").items()
    }
    cancellation_node = reader.child(root, top, "cancellation", "the file")
    cancellation = reader.mapping(cancellation_node, "cancellation")

    return BusinessRules(
        company_name=company_name,
        reference_prefix=company_text("reference_prefix"),
        currency_symbol=currency_symbol,
        human_reply_time=company_text("human_reply_time"),
        delivery_fee=reader.number(company["delivery_fee"], "company.delivery_fee")
        if "delivery_fee" in company
        else None,
        confirmation_email=company_text(
            "confirmation_email", "You'll get an email with your reference number shortly"
        ),
        refund_timeline=company_text(
            "refund_timeline",
            "The money goes back to your original payment method within 3-5 working days",
        ),
        help_centre=company_text("help_centre", "the help pages on our website"),
        enquiries_contact=company_text("enquiries_contact", "the contact page on our website"),
        max_refund=max_refund,
        max_discount_percent=max_discount_percent,
        vent_turns_before_offering_human=escalation_turns("vent_turns_before_offering_human"),
        fallbacks_before_offering_human=escalation_turns("fallbacks_before_offering_human"),
        categories=categories,
        cancellation_limits=reader.sentence(
            reader.child(cancellation_node, cancellation, "limits", "cancellation"),
            "cancellation.limits",
        ),
    )


def load_business_rules(path: Path) -> BusinessRules:
    """Read and validate a business file."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BusinessRulesError(
            f"{path}: cannot read the business file ({error.strerror})"
        ) from None
    return parse_business_rules(source, path)


def business_file_path() -> Path:
    """The business file in use: ``$BUSINESS_FILE`` or ``business.yml`` at the repo root."""
    configured = os.environ.get("BUSINESS_FILE")
    return Path(configured) if configured else DEFAULT_BUSINESS_FILE


class BusinessRulesCache(ReloadingFile[BusinessRules]):
    """The current business rules, re-read whenever the file changes (the last good rules
    stay in use while the file is invalid)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, load_business_rules, BusinessRulesError, "business file")


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.business [FILE]``: check a business file."""
    parser = argparse.ArgumentParser(description="Check a business rules file.")
    parser.add_argument("file", nargs="?", type=Path, default=None)
    args = parser.parse_args(argv)
    path: Path = args.file or business_file_path()
    try:
        rules = load_business_rules(path)
    except BusinessRulesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{path}: ok ({len(rules.categories)} complaint categories, {rules.company_name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
