"""Scores of ``make eval-nlu``: what the bot read from each held-out message against what
its author meant. Pure functions; tests/unit/test_nlu_eval_scoring.py holds them."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.complaints import normalise_order_id
from bot.nlu.details import is_percentage, number_value
from tests.nlu_eval.heldout import HeldOutMessage


@dataclass(frozen=True)
class Reading:
    """What the bot read from one message."""

    intent: str
    categories: tuple[str, ...]
    """The complaint categories it would restate; empty when it restates none."""
    person: bool
    order_ids: tuple[str, ...]
    amounts: tuple[str, ...]
    parse_ms: float


@dataclass(frozen=True)
class Target:
    name: str
    value: float | None
    minimum: float

    @property
    def met(self) -> bool:
        return self.value is not None and self.value >= self.minimum


@dataclass
class Scores:
    messages: int
    complaints: int
    complaint_precision: float | None
    complaint_recall: float | None
    complaint_f1: float | None
    category_accuracy: float | None
    all_problems_named: float | None
    """Multi-problem messages whose every category was read."""
    wrong_restatements: int
    """Messages restated with no category their author meant (a complaint nobody made)."""
    unmeant_problems: int
    """Categories read in complaints that their authors did not mean (a problem too many)."""
    person_recall: float | None
    person_precision: float | None
    order_id_accuracy: float | None
    false_order_ids: int
    amount_recall: float | None
    parse_p50_ms: float
    parse_p95_ms: float
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    by_category: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per gold category: (read right, total)."""

    def targets(self) -> list[Target]:
        return [
            Target("complaint detection F1", self.complaint_f1, 0.90),
            Target("category accuracy", self.category_accuracy, 0.85),
            Target("person-request recall", self.person_recall, 0.95),
            Target("person-request precision", self.person_precision, 0.90),
            Target("order id", self.order_id_accuracy, 0.98),
        ]


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    if not precision or not recall:
        return None if precision is None or recall is None else 0.0
    return 2 * precision * recall / (precision + recall)


def _ids(values: Sequence[str | None]) -> set[str]:
    return {v for v in (normalise_order_id(value) for value in values) if v}


def _money(values: Sequence[str]) -> set[tuple[float | None, bool]]:
    return {(number_value(v), is_percentage(v)) for v in values}


def order_id_right(message: HeldOutMessage, reading: Reading) -> bool:
    return _ids([message.order_id]) == _ids(reading.order_ids)


def category_right(message: HeldOutMessage, reading: Reading) -> bool:
    return bool(reading.categories) and reading.categories[0] in message.categories


def score(pairs: Sequence[tuple[HeldOutMessage, Reading]]) -> Scores:
    complaints = [(m, r) for m, r in pairs if m.is_complaint]
    read_as_complaint = [(m, r) for m, r in pairs if r.categories]
    true_positive = sum(1 for m, _ in read_as_complaint if m.is_complaint)
    precision = _ratio(true_positive, len(read_as_complaint))
    recall = _ratio(true_positive, len(complaints))
    multi = [(m, r) for m, r in complaints if len(m.categories) > 1]
    asked = [(m, r) for m, r in pairs if m.person]
    read_person = [(m, r) for m, r in pairs if r.person]
    with_ids = [(m, r) for m, r in pairs if m.order_id or r.order_ids]
    amounts_said = [(m, r) for m, r in pairs if m.amounts]
    confusions = Counter(
        (m.categories[0], r.categories[0] if r.categories else "(none)")
        for m, r in complaints
        if not category_right(m, r)
    )
    by_category: dict[str, tuple[int, int]] = {}
    for m, r in complaints:
        right, total = by_category.get(m.categories[0], (0, 0))
        by_category[m.categories[0]] = (right + category_right(m, r), total + 1)
    times = sorted(r.parse_ms for _, r in pairs) or [0.0]
    return Scores(
        messages=len(pairs),
        complaints=len(complaints),
        complaint_precision=precision,
        complaint_recall=recall,
        complaint_f1=_f1(precision, recall),
        category_accuracy=_ratio(sum(category_right(m, r) for m, r in complaints), len(complaints)),
        all_problems_named=_ratio(
            sum(set(m.categories) <= set(r.categories) for m, r in multi), len(multi)
        ),
        wrong_restatements=sum(
            1 for m, r in read_as_complaint if not set(r.categories) & set(m.categories)
        ),
        unmeant_problems=sum(len(set(r.categories) - set(m.categories)) for m, r in complaints),
        person_recall=_ratio(sum(r.person for _, r in asked), len(asked)),
        person_precision=_ratio(sum(m.person for m, _ in read_person), len(read_person)),
        order_id_accuracy=_ratio(sum(order_id_right(m, r) for m, r in with_ids), len(with_ids)),
        false_order_ids=sum(1 for m, r in pairs if not m.order_id and r.order_ids),
        amount_recall=_ratio(
            sum(_money(m.amounts) <= _money(r.amounts) for m, r in amounts_said), len(amounts_said)
        ),
        parse_p50_ms=statistics.median(times),
        parse_p95_ms=times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        confusions=[(gold, read, n) for (gold, read), n in confusions.most_common(10)],
        by_category=dict(sorted(by_category.items())),
    )
