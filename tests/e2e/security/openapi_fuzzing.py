"""Requests generated from an OpenAPI 3.0 document: our stand-in for schemathesis.

No schemathesis release installs beside Rasa 3.6's pins (3.19-3.27.0 need anyio<4 or
pytest<8; 3.27.1 and later need jsonschema>=4.18, Rasa pins <4.18), so this module
does the part we need: for every operation, path parameters that match their pattern
or are junk, query parameters of the right type or not, and bodies that follow the
JSON schema, bend it (each known field any junk) or are not JSON at all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from tests.e2e.security.junk import any_json, any_text, shaped_object

Schema = dict[str, Any]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: Schema

    @property
    def documented_statuses(self) -> set[int]:
        return {int(code) for code in self.spec["responses"] if code.isdigit()}

    @property
    def needs_session(self) -> bool:
        return any("agentSession" in scheme for scheme in self.spec.get("security", []))

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class GeneratedRequest:
    path: str
    query: dict[str, str]
    body: bytes | None
    content_type: str | None


def operations(document: Schema) -> list[Operation]:
    found = []
    for path, item in document["paths"].items():
        for method, spec in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append(Operation(method.upper(), path, _resolved(document, spec)))
    return found


def _resolved(document: Schema, value: Any) -> Any:
    """``value`` with every local ``$ref`` replaced by what it points at."""
    if isinstance(value, dict):
        if "$ref" in value:
            target: Any = document
            for part in value["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolved(document, target)
        return {key: _resolved(document, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(document, item) for item in value]
    return value


def from_schema(schema: Schema) -> st.SearchStrategy[Any]:
    """Values valid for ``schema`` (the subset of JSON schema our document uses)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    nullable = st.none() if schema.get("nullable") else st.nothing()
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True) | nullable
        return (
            st.text(
                min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 50), 50)
            )
            | nullable
        )
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum")) | nullable
    if kind == "boolean":
        return st.booleans() | nullable
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: from_schema(properties[name]) for name in required if name in properties},
            optional={
                name: from_schema(sub) for name, sub in properties.items() if name not in required
            },
        )
    return any_json(binary=False)


def _bodies(schema: Schema | None) -> st.SearchStrategy[tuple[bytes | None, str | None]]:
    def as_json(value: Any) -> tuple[bytes, str]:
        return json.dumps(value).encode(), "application/json"

    junk_bytes = st.one_of(
        st.binary(max_size=64),
        st.sampled_from([b"{", b"[1,", b'{"a":}', b"\xff\xfe", b"null", b"NaN", b'"x"']),
        st.just(b"[" * 5000 + b"]" * 5000),
        st.just(b'{"text": "' + b"x" * 20_000 + b'"}'),
    )
    content_types = st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded", None]
    )
    fields = (schema or {}).get("properties", {})
    return st.one_of(
        st.just((None, None)),
        (from_schema(schema) if schema else st.just({})).map(as_json),
        (from_schema(schema) if schema else st.just({})).map(as_json),
        shaped_object({name: st.nothing() for name in fields}, binary=False).map(as_json),
        any_json(binary=False).map(as_json),
        st.tuples(junk_bytes, content_types),
    )


MAX_PATH_VALUE_BYTES = 2400
"""Per path or query value (an operation has up to three). Longer request lines meet
Sanic's 8 KB header limit first: a plain-text 413 from the HTTP layer, before our
routes (not among the API's promises)."""


def _path_value(schema: Schema) -> st.SearchStrategy[str]:
    return st.one_of(
        from_schema(schema).map(str),
        from_schema(schema).map(str),
        any_text(60).filter(lambda text: text not in {"", ".", ".."}),
        st.sampled_from(["../../api/agent/me", "%2e%2e", "a/b", "x" * 2000, "%00", "null"]),
    ).filter(lambda value: len(_quoted(value)) <= MAX_PATH_VALUE_BYTES)


def _utf8(value: str) -> str:
    """``value`` sendable in a URL: a lone surrogate becomes U+FFFD (HTTP carries bytes)."""
    return value.encode("utf-8", "replace").decode("utf-8")


def _quoted(value: str) -> str:
    """A path segment, percent-encoded (lone surrogates as their UTF-8-ish bytes)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


PATH_PARAMETER = re.compile(r"\{([^}]+)\}")


def requests_for(operation: Operation) -> st.SearchStrategy[GeneratedRequest]:
    parameters = operation.spec.get("parameters", [])
    path_schemas = {p["name"]: p["schema"] for p in parameters if p["in"] == "path"}
    query_schemas = {p["name"]: p["schema"] for p in parameters if p["in"] == "query"}
    body_schema = (
        operation.spec.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema")
    )

    def build(
        path_values: dict[str, str], query: dict[str, Any], body: tuple[bytes | None, str | None]
    ) -> GeneratedRequest:
        path = PATH_PARAMETER.sub(
            lambda match: quote(
                path_values[match.group(1)].encode("utf-8", "surrogatepass"), safe=""
            ),
            operation.path,
        )
        return GeneratedRequest(path, {k: _utf8(str(v)) for k, v in query.items()}, *body)

    query_values = st.fixed_dictionaries(
        {},
        optional={
            name: (
                from_schema(schema) | any_text(20) | st.sampled_from(["-1", "1e9", "0x10"])
            ).filter(lambda value: len(_quoted(str(value))) <= MAX_PATH_VALUE_BYTES)
            for name, schema in query_schemas.items()
        },
    )
    return st.builds(
        build,
        st.fixed_dictionaries({name: _path_value(s) for name, s in path_schemas.items()}),
        query_values,
        _bodies(body_schema) if body_schema else st.just((None, None)) | _bodies(None),
    )
