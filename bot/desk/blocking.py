"""Blocking work (database sessions, calls to Rasa's HTTP API, password hashing) off the desk's event
loop, so that a slow request never delays another one or /health."""
import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Callable, Optional, TypeVar

from sqlalchemy.engine import Engine

from bot.db import session_scope

T = TypeVar("T")
# Password hashing gets its own small pool: scrypt takes ~50 ms of CPU and 16 MB per call, and a burst of
# logins must queue here rather than fill the pool that database work and readiness checks share.
HASHING_THREADS = 2
_hashing_pool: Optional[ThreadPoolExecutor] = None
# The desk's own background work (the live feed's poll, the SLA sweep) gets a thread of its own: in the
# shared pool it queued behind a burst of requests and new tickets reached the consoles seconds late.
_background_pool: Optional[ThreadPoolExecutor] = None


async def in_thread(function: Callable[..., T], *args, **kwargs) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args, **kwargs))


async def in_session(engine: Engine, function: Callable[..., T], *args, **kwargs) -> T:
    """`function(session, *args, **kwargs)` in a thread, inside one short-lived session (committed on
    success). Return plain values: the session is closed when the result reaches the loop."""
    def work():
        with session_scope(engine) as session:
            return function(session, *args, **kwargs)
    return await in_thread(work)


async def hashing(function: Callable[..., T], *args, **kwargs) -> T:
    """CPU-heavy password work in the hashing pool (made on first use, never at import)."""
    global _hashing_pool
    if _hashing_pool is None:
        _hashing_pool = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="desk-hashing")
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool, partial(function, *args, **kwargs))


async def in_background_thread(function: Callable[..., T], *args, **kwargs) -> T:
    """The desk's periodic work in its own thread (made on first use, never at import)."""
    global _background_pool
    if _background_pool is None:
        _background_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="desk-background")
    return await asyncio.get_running_loop().run_in_executor(_background_pool, partial(function, *args, **kwargs))
