"""What a test Redis holds, for tests that must show something is gone: every key, and
every key whose name or any value mentions a text."""

from __future__ import annotations

import json

import redis.asyncio as redis


async def all_keys(client: redis.Redis) -> list[str]:
    return sorted([k.decode() async for k in client.scan_iter(count=1000)])


async def everything_mentioning(client: redis.Redis, needle: str) -> list[str]:
    """Every key whose name or any value (members, fields, stream entries) holds ``needle``."""
    found = []
    for key in await all_keys(client):
        kind = (await client.type(key)).decode()
        if kind == "string":
            values = [await client.get(key)]
        elif kind == "hash":
            values = [b"%s=%s" % item for item in (await client.hgetall(key)).items()]
        elif kind == "zset":
            values = await client.zrange(key, 0, -1)
        elif kind == "set":
            values = list(await client.smembers(key))
        elif kind == "list":
            values = await client.lrange(key, 0, -1)
        else:  # stream
            values = [json.dumps({k.decode(): v.decode() for k, v in f.items()}).encode()
                      for _, f in await client.xrange(key)]  # fmt: skip
        if needle in key or any(needle.encode() in (v or b"") for v in values):
            found.append(key)
    return found
