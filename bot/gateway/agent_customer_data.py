"""The agent API's supervisor-only endpoints: export or erase everything stored about a
customer (bot/customer_data.py; the same as ``python -m bot.privacy``). Part of
bot/gateway/agent_api.py.

Only an agent whose roster entry says ``role: supervisor`` may call them; anyone else
gets 403 ``forbidden``, before anything is read. The customer in the path is a customer
key (``user:<id>``, ``visitor:<chat id>``) or a verified user id. Logs name the
supervisor and a digest of the customer key, never the key itself. The answers name each
conversation by its chat id: a session id is the visitor's credential, and no agent,
supervisors included, is given one (``python -m bot.privacy`` on the server shows them).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any
from urllib.parse import unquote

from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bot.chat_ids import chat_id
from bot.customer_data import CustomerNotGiven, customer_key_of, erase_customer, export_customer
from bot.gateway.agent_chat_records import AgentApiServices, Caller
from bot.gateway.agent_requests import forbidden, not_found

logger = logging.getLogger(__name__)

CUSTOMER_PATH = "/customers/<customer>"
CUSTOMER_PATTERN = re.compile(r"^[^\s/\x00-\x1f\x7f]{1,200}$")
"""What the ``customer`` path parameter may look like (checked again by customer_key_of)."""


def with_chat_ids(answer: dict[str, Any], session_ids: list[str]) -> dict[str, Any]:
    """``answer`` with every session id in it (values, key names) replaced by its chat id."""
    text = json.dumps(answer)
    for session_id in session_ids:
        text = text.replace(session_id, chat_id(session_id))
    return dict(json.loads(text))


def customer_digest(customer_key: str) -> str:
    """What the logs say instead of the customer key."""
    return hashlib.sha256(customer_key.encode()).hexdigest()[:12]


class CustomerDataEndpoints:
    """Supervisor-only endpoints on one customer's data (mixed into ``AgentApi``)."""

    @staticmethod
    def supervised_customer(caller: Caller, customer: str) -> str:
        """The customer key, once the caller is known to be a supervisor."""
        if not caller.agent.is_supervisor:
            raise forbidden("only a supervisor may export or erase a customer's data")
        try:
            return customer_key_of(unquote(customer))  # Sanic leaves path values quoted
        except CustomerNotGiven:
            raise not_found("no such customer") from None

    async def export_customer_data(
        self, _request: Request, services: AgentApiServices, caller: Caller, customer: str
    ) -> HTTPResponse:
        customer_key = self.supervised_customer(caller, customer)
        exported = await export_customer(services.client, customer_key)
        logger.info(
            "agent_api.customer_exported agent=%s customer=%s conversations=%d",
            caller.agent.agent_id, customer_digest(customer_key), len(exported["conversations"]),
        )  # fmt: skip
        session_ids = [conversation["session_id"] for conversation in exported["conversations"]]
        return json_response(with_chat_ids(exported, session_ids))

    async def erase_customer_data(
        self, _request: Request, services: AgentApiServices, caller: Caller, customer: str
    ) -> HTTPResponse:
        customer_key = self.supervised_customer(caller, customer)
        report = await erase_customer(services.client, customer_key)
        logger.warning(
            "agent_api.customer_erased agent=%s customer=%s conversations=%d keys=%d",
            caller.agent.agent_id, customer_digest(customer_key),
            len(report.conversations), len(report.deleted_keys),
        )  # fmt: skip
        return json_response(with_chat_ids(report.as_json(), list(report.conversations)))
