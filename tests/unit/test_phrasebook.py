"""actions/phrasebook.yml and actions/phrasing.py: the phrases the actions use exist and render."""

from __future__ import annotations

import ast
import random
import re

import pytest

from actions.complaint import CORRECTION_PHRASES
from actions.handoff import OFFER_PHRASES
from actions.phrasing import Phrasebook, phrasebook
from actions.restatement import RESTATEMENT_PHRASES
from tests.conftest import ROOT

PLACEHOLDER = re.compile(r"\{(\w+)\}")
MAIN_PHRASES = [
    "acknowledge_complaint",
    "restate_complaint",
    "state_limits",
    "propose_fix",
    "confirm_resolution",
    "acknowledge_vent",
    "resume_resolved",
    "resume_continue",
]
"""Phrases many customers see; the handoff announcement itself is bot/handoff/announcements.py."""


def say_calls() -> list[tuple[str, str, set[str]]]:
    """(where, phrase key, keyword names) of every ``say(dispatcher, "key", ...)`` in actions/."""
    calls = []
    for path in sorted((ROOT / "actions").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "say"
                and len(node.args) == 2
                and isinstance(node.args[1], ast.Constant)
            ):
                where = f"{path.name}:{node.lineno}"
                calls.append((where, node.args[1].value, {kw.arg for kw in node.keywords}))
    return calls


SAY_CALLS = say_calls()
USED_KEYS = sorted(
    {key for _, key, _ in SAY_CALLS}
    | set(OFFER_PHRASES.values())
    | set(CORRECTION_PHRASES.values())
    | set(RESTATEMENT_PHRASES)
)
ALL_VARIANTS = [
    pytest.param(key, variant, id=f"{key}[{index}]")
    for key, variants in phrasebook().phrases.items()
    for index, variant in enumerate(variants)
]


def placeholders(variant: str) -> set[str]:
    return set(PLACEHOLDER.findall(variant))


def test_the_source_scan_finds_the_actions_phrases():
    # Guards the scan itself: if it found nothing, the tests below would prove nothing.
    assert len(SAY_CALLS) >= 20
    assert {"acknowledge_complaint", "confirm_resolution", "order_cancelled"} <= set(USED_KEYS)


@pytest.mark.parametrize("key", USED_KEYS)
def test_every_phrase_the_actions_use_is_in_the_phrasebook(key):
    assert key in phrasebook().phrases


@pytest.mark.parametrize(("where", "key", "given"), SAY_CALLS, ids=[c[0] for c in SAY_CALLS])
def test_every_call_gives_the_values_each_variant_needs(where, key, given):
    for variant in phrasebook().variants(key):
        missing = placeholders(variant) - given
        assert not missing, f"{where}: '{key}' variant {variant!r} needs {missing}"


@pytest.mark.parametrize("key", sorted(set(OFFER_PHRASES.values())))
def test_offer_phrases_need_no_values(key):
    for variant in phrasebook().variants(key):
        assert placeholders(variant) == set(), variant


def test_every_phrase_in_the_book_is_used_by_an_action():
    assert sorted(phrasebook().phrases) == USED_KEYS


@pytest.mark.parametrize(("key", "variant"), ALL_VARIANTS)
def test_every_variant_renders_with_its_placeholders_filled(key, variant):
    values = {name: f"<{name}>" for name in placeholders(variant)}

    text = Phrasebook({key: [variant]}).render(key, **values)

    assert "{" not in text
    assert "}" not in text
    for value in values.values():
        assert value in text


@pytest.mark.parametrize(("key", "variant"), ALL_VARIANTS)
def test_matches_recognises_every_rendered_variant(key, variant):
    values = {name: "the blue kettle" for name in placeholders(variant)}

    text = Phrasebook({key: [variant]}).render(key, **values)

    assert phrasebook().matches(key, text)


@pytest.mark.parametrize("key", sorted(phrasebook().phrases))
def test_matches_rejects_an_unrelated_text(key):
    assert not phrasebook().matches(key, "The weather in Lisbon is sunny today.")


def test_matches_tells_two_phrases_apart():
    text = phrasebook().render("ask_to_rephrase")

    assert phrasebook().matches("ask_to_rephrase", text)
    assert not phrasebook().matches("default_fallback", text)
    assert not phrasebook().matches("acknowledge_vent", text)


def test_matches_recognises_a_placeholder_filled_with_nothing():
    # An optional sentence in front of a phrase is a placeholder filled with "" when absent.
    book = Phrasebook({"greeting": ["Hello {name}."], "note": ["{optional}Done."]})

    assert book.matches("note", "Done.")
    assert book.matches("note", "As promised. Done.")
    assert book.matches("greeting", "Hello Ana.")


def test_render_names_a_missing_value():
    with pytest.raises(KeyError, match="apology"):
        phrasebook().render("acknowledge_complaint")


def test_render_picks_each_variant_over_time():
    rng = random.Random(7)
    rendered = {phrasebook().render("restate_complaint", rng, summary="x") for _ in range(50)}

    assert len(rendered) == len(phrasebook().variants("restate_complaint"))


def test_a_phrasebook_with_an_empty_phrase_is_rejected(tmp_path):
    path = tmp_path / "phrasebook.yml"
    path.write_text("greeting:\n  - 'Hello.'\nfarewell: []\n", encoding="utf-8")

    with pytest.raises(ValueError, match="farewell"):
        Phrasebook.load(path)


@pytest.mark.parametrize("key", MAIN_PHRASES)
def test_main_phrases_have_at_least_two_variants(key):
    assert len(set(phrasebook().variants(key))) >= 2


def test_domain_responses_each_have_at_least_two_variants(domain):
    responses = domain["responses"]
    assert "utter_ask_what_happened" in responses

    single = [name for name, variants in responses.items() if len(variants) < 2]

    assert single == []
