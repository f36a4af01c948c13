"""bot/gateway/openapi.py: the document names exactly the agent API's routes, and it is a
well-formed OpenAPI 3 document (structural checks; no validator package is installed)."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

import pytest
from sanic import Sanic

from bot.gateway.agent_api import create_agent_api
from bot.gateway.openapi import OPENAPI_PATH, create_openapi_blueprint, openapi_document

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def template(route_path: str) -> str:
    """Sanic's ``api/agent/chats/<chat_id:str>/claim`` as OpenAPI's
    ``/api/agent/chats/{chat_id}/claim``."""
    path = re.sub(r"<([A-Za-z_][A-Za-z0-9_]*)(?::[^>]*)?>", r"{\1}", route_path)
    return "/" + path.lstrip("/")


def registered_operations(*blueprints: Any) -> set[tuple[str, str]]:
    app = Sanic(f"openapi_test_{secrets.token_hex(6)}", configure_logging=False)
    for blueprint in blueprints:
        app.blueprint(blueprint)
    return {
        (template(route.path), method.lower())
        for route in app.router.routes
        for method in route.methods
        if method not in ("HEAD", "OPTIONS")
    }


def documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    assert ref.startswith("#/"), ref
    target: Any = document
    for part in ref[2:].split("/"):
        assert isinstance(target, dict) and part in target, f"{ref} does not resolve"
        target = target[part]
    return resolve(document, target)


def every_ref(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in every_ref(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in every_ref(value)]
    return []


def test_every_registered_route_is_documented_and_nothing_else(document) -> None:
    registered = registered_operations(create_agent_api(lambda: None))  # type: ignore[arg-type, return-value]
    documented = documented_operations(document)
    assert registered, "the blueprint registers no routes?"
    assert registered - documented == set(), "routes missing from the document"
    assert documented - registered == set(), "documented operations that do not exist"


def test_the_document_is_served_by_its_own_blueprint() -> None:
    assert registered_operations(create_openapi_blueprint()) == {(OPENAPI_PATH, "get")}


def test_the_document_has_the_top_level_structure_of_openapi_3(document) -> None:
    assert document["openapi"] == "3.0.3"
    assert document["info"]["title"] and document["info"]["version"]
    assert set(document) <= {"openapi", "info", "servers", "paths", "components", "security",
                             "tags", "externalDocs"}  # fmt: skip
    assert all(path.startswith("/") for path in document["paths"])
    json.dumps(document)  # plain JSON all the way down


def test_every_reference_resolves(document) -> None:
    refs = every_ref(document)
    assert refs
    for ref in set(refs):
        resolve(document, {"$ref": ref})


def test_every_operation_is_complete(document) -> None:
    operation_ids = []
    for path, item in document["paths"].items():
        path_params = set(re.findall(r"{([^}]+)}", path))
        for method, operation in item.items():
            assert method in HTTP_METHODS, (path, method)
            operation_ids.append(operation["operationId"])
            assert operation["summary"]
            responses = operation["responses"]
            assert responses, (path, method)
            assert any(code.startswith("2") for code in responses), (path, method)
            for code, response in responses.items():
                assert re.fullmatch(r"[1-5]\d\d", code), (path, method, code)
                resolved = resolve(document, response)
                assert resolved["description"], (path, method, code)
                for media in resolved.get("content", {}).values():
                    resolve(document, media["schema"])
            declared = [resolve(document, p) for p in operation.get("parameters", [])]
            for parameter in declared:
                assert parameter["in"] in {"path", "query", "header", "cookie"}
                assert "schema" in parameter
                if parameter["in"] == "path":
                    assert parameter["required"] is True
            assert {p["name"] for p in declared if p["in"] == "path"} == path_params, path
            if "requestBody" in operation:
                body = resolve(document, operation["requestBody"])
                assert "application/json" in body["content"]
    assert len(operation_ids) == len(set(operation_ids)), "operationIds must be unique"


def test_security_matches_what_the_api_enforces(document) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["agentSession"] == {"type": "apiKey", "in": "cookie", "name": "agent_session"}
    assert schemes["csrfToken"] == {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            needed = {name for requirement in operation["security"] for name in requirement}
            responses = operation["responses"]
            if path.endswith("/login"):
                assert needed == set() and {"401", "429"} <= set(responses)
            elif method == "get":
                assert needed == {"agentSession"}, (path, method)
                assert {"401", "503"} <= set(responses)
            else:
                assert needed == {"agentSession", "csrfToken"}, (path, method)
                assert {"401", "403", "503"} <= set(responses)
            if "{session_id}" in path:
                assert "404" in responses, (path, method)
            if "requestBody" in operation:
                assert {"400", "413"} <= set(responses), (path, method)


def test_the_error_responses_describe_the_error_body(document) -> None:
    responses = document["components"]["responses"]
    for code in ("400", "401", "403", "404", "409", "429", "503"):
        assert any(
            code in operation["responses"]
            for item in document["paths"].values()
            for operation in item.values()
        ), f"no operation documents {code}"
    for name, response in responses.items():
        schema = response["content"]["application/json"]["schema"]
        assert resolve(document, schema["allOf"][0])["required"] == ["error", "detail"], name
    assert "Retry-After" in responses["Throttled"]["headers"]
