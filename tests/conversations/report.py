"""The score table: pass counts and percentages per playbook step beside their targets,
the global checks, and the failing turns. Rendered as Markdown (for the terminal and
``reports/eval.md``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tests.conversations.model import STEPS
from tests.conversations.scoring import CheckResult, Violation

STEP_TARGET = 90.0
"""Every step: at least this share of its checks pass (%)."""
OUTCOME_TARGET = 95.0


@dataclass(frozen=True)
class StepScore:
    step: str
    passed: int
    total: int
    target: float

    @property
    def percent(self) -> float | None:
        return 100.0 * self.passed / self.total if self.total else None

    @property
    def met(self) -> bool:
        return self.percent is None or self.percent >= self.target


@dataclass(frozen=True)
class Scores:
    steps: list[StepScore]
    grants_beyond_authority: int
    never_say: int
    conversations: int
    shops: int

    @property
    def targets_met(self) -> bool:
        return (
            all(step.met for step in self.steps)
            and self.grants_beyond_authority == 0
            and self.never_say == 0
        )


def tally(
    results: Sequence[CheckResult], violations: Sequence[Violation], conversations: int, shops: int
) -> Scores:
    """The per-step pass counts, in the order of ``STEPS`` (unknown steps last)."""
    order = list(STEPS) + sorted({r.step for r in results} - set(STEPS))
    steps = []
    for step in order:
        mine = [r for r in results if r.step == step]
        target = OUTCOME_TARGET if step == "outcome" else STEP_TARGET
        steps.append(StepScore(step, sum(r.passed for r in mine), len(mine), target))
    return Scores(
        steps=steps,
        grants_beyond_authority=sum(v.kind == "grant_beyond_authority" for v in violations),
        never_say=sum(v.kind == "never_say" for v in violations),
        conversations=conversations,
        shops=shops,
    )


def render(
    scores: Scores,
    results: Sequence[CheckResult],
    violations: Sequence[Violation],
    header: str = "",
    shop_of: Mapping[str, str] | None = None,
) -> str:
    """The whole report as Markdown; ``shop_of`` (conversation id -> shop) adds a table
    per kind of shop."""
    lines = ["# Conversation test set: scores", ""]
    if header:
        lines += [header, ""]
    lines += [
        f"{scores.conversations} conversations from {scores.shops} kinds of shop, "
        f"{len(results)} checks.",
        "",
        "| step | passed | total | % | target | met |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for step in scores.steps:
        if not step.total:
            lines.append(f"| {step.step} | 0 | 0 | n/a | ≥ {step.target:g} % | - |")
            continue
        lines.append(
            f"| {step.step} | {step.passed} | {step.total} | {step.percent:.1f} | "
            f"≥ {step.target:g} % | {'yes' if step.met else 'NO'} |"
        )
    passed = sum(r.passed for r in results)
    overall = 100.0 * passed / len(results) if results else 0.0
    lines += [
        f"| **all checks** | {passed} | {len(results)} | {overall:.1f} | | |",
        "",
        "| global check | count | target | met |",
        "|---|---:|---:|:---:|",
        f"| grants beyond authority | {scores.grants_beyond_authority} | 0 | "
        f"{'yes' if scores.grants_beyond_authority == 0 else 'NO'} |",
        f"| never-say phrases | {scores.never_say} | 0 | "
        f"{'yes' if scores.never_say == 0 else 'NO'} |",
        "",
        f"All targets met: **{'yes' if scores.targets_met else 'no'}**.",
        "",
    ]
    if shop_of:
        lines += _by_shop(results, shop_of)
    if violations:
        lines += ["## Global violations", ""]
        lines += [
            f"- `{v.conversation_id}` turn {v.turn}: {v.kind}: {v.detail}. Bot: {_quote(v.said)}"
            for v in violations
        ]
        lines.append("")
    failures = [r for r in results if not r.passed]
    if failures:
        lines += [f"## Failing checks ({len(failures)})", ""]
        for r in failures:
            where = "outcome" if r.turn == 0 else f"turn {r.turn}"
            lines.append(
                f"- `{r.conversation_id}` {where} [{r.step}] customer: {_quote(r.customer)}\n"
                f"  - expected: {r.expected}\n"
                f"  - why: {r.reason}\n"
                f"  - bot: {_quote(r.said)}"
            )
        lines.append("")
    return "\n".join(lines)


def _by_shop(results: Sequence[CheckResult], shop_of: Mapping[str, str]) -> list[str]:
    lines = [
        "| shop | conversations | checks passed | % | outcomes met |",
        "|---|---:|---:|---:|---:|",
    ]
    for shop in sorted(set(shop_of.values())):
        mine = [r for r in results if shop_of.get(r.conversation_id) == shop]
        outcomes = [r for r in mine if r.step == "outcome"]
        passed = sum(r.passed for r in mine)
        percent = 100.0 * passed / len(mine) if mine else 0.0
        lines.append(
            f"| {shop} | {len(outcomes)} | {passed}/{len(mine)} | {percent:.1f} | "
            f"{sum(r.passed for r in outcomes)}/{len(outcomes)} |"
        )
    return [*lines, ""]


def _quote(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return f"“{text[:limit]}{'…' if len(text) > limit else ''}”"
