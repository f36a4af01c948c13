"""Fuzzing the agents' HTTP API from its own OpenAPI document (issue 16, "Tests":
schemathesis or an equivalent; tests/e2e/security/openapi_fuzzing.py says why ours).

The document is read from the running gateway (``/api/openapi.json``). Every operation
gets generated requests (valid, bent and junk path parameters, query parameters and
bodies), sent as a stranger (no cookie), as a logged-in demo agent without the CSRF
header, and as a logged-in agent with it. Properties: no 5xx; every status is one the
document lists for that operation; every error is JSON with an ``error``; a stranger
never gets a 2xx from an operation that needs a session, nor an agent without the CSRF
header from one that needs it; and the stack logs no exception meanwhile.

Derandomized and bounded: FUZZ_API_EXAMPLES per operation and caller (default 30).
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings

from bot.stack import Stack
from tests.e2e.agent import DEMO_PASSWORDS
from tests.e2e.security.openapi_fuzzing import (
    GeneratedRequest,
    Operation,
    operations,
    requests_for,
)
from tests.e2e.security.socket_fuzzing import LogWatch

pytestmark = pytest.mark.stack

EXAMPLES = int(os.environ.get("FUZZ_API_EXAMPLES", "30"))
LOGIN_EXAMPLES = 15
"""Fewer for login: every one is a failed login (throttled per id and per source)."""
AGENT = "priya"
"""The demo agent the fuzzer logs in as (others' tests use maria and tom more)."""


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking against a live stack
        suppress_health_check=list(HealthCheck),
    )


class Caller:
    """One HTTP client: a stranger, or a demo agent with or without the CSRF header."""

    def __init__(self, base_url: str, kind: str) -> None:
        self.base_url = base_url
        self.kind = kind
        self.http = requests.Session()
        # Its own client address (the e2e stack trusts 127.0.0.1 as a proxy): the junk
        # logins it sends are throttled for it alone, not for the other tests' logins.
        self.http.headers["X-Forwarded-For"] = f"203.0.113.{secrets.randbelow(250) + 1}"
        self.csrf = ""
        if kind != "stranger":
            self.log_in()

    def log_in(self) -> None:
        reply = self.http.post(
            f"{self.base_url}/api/agent/login",
            json={"agent_id": AGENT, "password": DEMO_PASSWORDS[AGENT]},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        self.csrf = reply.json()["csrf_token"]

    def send(self, operation: Operation, request: GeneratedRequest) -> requests.Response:
        headers = {"Origin": self.base_url}
        if request.content_type:
            headers["Content-Type"] = request.content_type
        if self.kind == "agent with CSRF header":
            headers["X-CSRF-Token"] = self.csrf
        return self.http.request(
            operation.method,
            f"{self.base_url}{request.path}",
            params=request.query,
            data=request.body,
            headers=headers,
            timeout=30,
            allow_redirects=False,
        )


@pytest.fixture(scope="module")
def document(stack: Stack) -> dict[str, Any]:
    reply = requests.get(f"{stack.config.gateway_urls[0]}/api/openapi.json", timeout=10)
    assert reply.status_code == 200
    return dict(reply.json())


@pytest.mark.parametrize(
    "kind", ["stranger", "agent without CSRF header", "agent with CSRF header"]
)
def test_no_request_gets_a_5xx_or_an_undocumented_status(
    kind: str, stack: Stack, document: dict[str, Any]
) -> None:
    logs = LogWatch(stack)
    caller = Caller(stack.config.gateway_urls[1], kind)
    problems = []
    for operation in operations(document):  # every operation, then one report
        try:
            fuzz_operation(caller, operation)
        except AssertionError as problem:
            problems.append(str(problem).split("\n")[0][:600])
    assert not problems, "\n".join(problems)
    assert logs.exception_lines() == {}


def fuzz_operation(caller: Caller, operation: Operation) -> None:
    examples = LOGIN_EXAMPLES if operation.path.endswith("/login") else EXAMPLES

    @fuzz_settings(examples)
    @given(request=requests_for(operation))
    def send(request: GeneratedRequest) -> None:
        reply = caller.send(operation, request)
        check_reply(operation, caller, request, reply)
        if caller.kind != "stranger" and reply.status_code == 401:
            caller.log_in()  # the example logged out (or the login was the junk)

    send()


def check_reply(
    operation: Operation, caller: Caller, request: GeneratedRequest, reply: requests.Response
) -> None:
    status = reply.status_code
    sent = f"{request.path[:120]}?{request.query} body={(request.body or b'')[:120]!r}"
    where = f"{operation} as {caller.kind}: {sent} -> {status} {reply.text[:200]!r}"
    assert status < 500, where
    assert status in operation.documented_statuses, f"undocumented status: {where}"
    if status >= 400:
        try:
            body = reply.json()
        except ValueError:
            raise AssertionError(f"an error that is not JSON: {where}") from None
        assert isinstance(body, dict) and isinstance(body.get("error"), str), where
    elif operation.needs_session:
        assert caller.kind != "stranger", f"a stranger got through: {where}"
        needs_csrf = any("csrfToken" in scheme for scheme in operation.spec.get("security", []))
        if needs_csrf:
            assert caller.kind == "agent with CSRF header", f"no CSRF check: {where}"
