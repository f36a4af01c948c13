"""Hypothesis strategies for what a hostile client sends: any JSON-ish value, the
known field names with wrong or extreme values, sizes around every limit, and text
that has broken parsers elsewhere (lone surrogates, NUL, bidi overrides, slash
commands, markup).

Shared by the socket fuzzer (test_fuzz_socket.py) and the agent API fuzzer
(test_fuzz_agent_api.py), so both throw the same kinds of junk.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

NASTY_TEXTS = (
    "", " ", "\t\n", "\x00", "\ud800", "\udfff", "a\ud83d", "\u202eevil", "\u2060/restart",
    "/restart", "/affirm", '/inform{"order_id":"1"}', "/queue_carry_on", "/queue_email",
    "<script>alert(1)</script>", "{{7*7}}", "' OR 1=1 --", "../../etc/passwd", "%s%n%x",
    "null", "true", "[]", "{}", "[" * 990 + "]" * 990, '{"a":' * 300 + "1" + "}" * 300,
    "💥" * 40, "e\u0301" * 20, "ﷺ" * 30, "a@b.co", "\r\n\r\n",
)  # fmt: skip
"""Texts that broke something somewhere once."""

BOUNDARY_LENGTHS = (
    1, 22, 45, 63, 64, 65, 199, 200, 201, 1024, 1025, 2000, 2001, 4000, 4001, 20_000,
)  # fmt: skip
"""Around the limits of docs/protocol.md and the agent API (ids, hashes, messages, bodies)."""

EXTREME_NUMBERS = (
    0, -1, 1, 5, 6, 200, 201, 2**31, 2**53 + 1, 2**63, -(2**63) - 1, 2**64, 10**40, -(10**40),
)  # fmt: skip


def any_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Any text, including lone surrogates and control characters; sometimes a nasty
    classic; sometimes exactly as long as a limit, or one more."""
    return st.one_of(
        st.text(st.characters(blacklist_categories=()), max_size=max_size),
        st.sampled_from(NASTY_TEXTS),
        st.builds(
            lambda length, char: char * length,
            st.sampled_from(BOUNDARY_LENGTHS),
            st.sampled_from(["x", "é", "💥", " ", "\ud800"]),
        ),
    )


def any_number() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(),
        st.sampled_from(EXTREME_NUMBERS),
        st.floats(allow_nan=True, allow_infinity=True),
    )


def any_scalar(binary: bool = True) -> st.SearchStrategy[Any]:
    """A JSON scalar of any type (and, over socket.io, a binary attachment)."""
    leaves = [st.none(), st.booleans(), any_number(), any_text()]
    if binary:
        leaves.append(st.binary(max_size=32))
    return st.one_of(*leaves)


def deeply_nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def any_json(binary: bool = True) -> st.SearchStrategy[Any]:
    """Any value at all: scalars, lists and objects nested a few levels, or very deep."""
    return st.one_of(
        st.recursive(
            any_scalar(binary),
            lambda children: st.one_of(
                st.lists(children, max_size=4),
                st.dictionaries(any_text(12), children, max_size=4),
            ),
            max_leaves=12,
        ),
        st.sampled_from([deeply_nested(200), deeply_nested(400)]),
    )


def shaped_object(
    fields: dict[str, st.SearchStrategy[Any]], binary: bool = True
) -> st.SearchStrategy[dict[str, Any]]:
    """An object with some of the known ``fields`` (each a plausible value or any junk),
    plus sometimes unknown keys: close enough to valid to get past the first checks."""
    known = st.fixed_dictionaries(
        {}, optional={name: value | any_json(binary) for name, value in fields.items()}
    )
    extra = st.dictionaries(any_text(12), any_json(binary), max_size=2)
    return st.builds(lambda unknown, fields_: {**unknown, **fields_}, extra, known)
