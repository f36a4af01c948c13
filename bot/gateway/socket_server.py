"""The gateway's socket.io server: python-socketio's, except for frames it cannot read.

python-socketio decodes each engine.io message into a packet before any handler of
ours runs; a frame no client library would send (cut-short or trailing JSON, JSON
nested deeper than the parser recurses, an event without a name, an unknown packet
type) raises inside that decoding, and engine.io logs a traceback per frame. A client
sending such frames is broken or hostile: we log one line without a traceback and
close its connection, as we do for a frame over the size limit. Handlers themselves
run as tasks of their own (``async_handlers``), so their errors never reach here.
"""

from __future__ import annotations

import logging
from typing import Any

from socketio import AsyncServer

logger = logging.getLogger(__name__)

UNREADABLE_FRAME_ERRORS = (ValueError, RecursionError, IndexError, KeyError, TypeError)
"""What python-socketio 5.9's packet decoding and dispatch raise on a malformed frame."""


class GatewaySocketServer(AsyncServer):
    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            await super()._handle_eio_message(eio_sid, data)
        except UNREADABLE_FRAME_ERRORS as error:
            self._binary_packet.pop(eio_sid, None)
            logger.warning(
                "socket.unreadable_frame eio_sid=%s error=%s; closing the connection",
                eio_sid, type(error).__name__,
            )  # fmt: skip
            await self.eio.disconnect(eio_sid)
