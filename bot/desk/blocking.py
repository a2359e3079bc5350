"""Blocking work (database sessions, calls to Rasa's HTTP API) off the desk's event loop."""
import asyncio
from functools import partial


async def in_thread(function, *args, **kwargs):
    return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args, **kwargs))
