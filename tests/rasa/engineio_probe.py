"""How many heartbeat tasks PONG packets start on an engineio socket (GHSA-cgwc-pv48-fhj5): used by the
Rasa server's tests and by the audit's check of its fence, both in the Rasa environment."""
import asyncio


async def heartbeat_tasks(pongs: int, ping_waiting: bool) -> int:
    """Tasks left running after a socket receives `pongs` PONG packets."""
    import time

    import engineio
    from engineio import packet
    from engineio.asyncio_socket import AsyncSocket

    socket = AsyncSocket(engineio.AsyncServer(async_mode="asgi"), "sid")
    if ping_waiting:
        socket.last_ping = time.time()  # as the heartbeat does when it sends its PING
    before = len(asyncio.all_tasks())
    for _ in range(pongs):
        await socket.receive(packet.Packet(packet.PONG))
    await asyncio.sleep(0)
    started = len(asyncio.all_tasks()) - before
    for task in asyncio.all_tasks():
        if task is not asyncio.current_task():
            task.cancel()
    return started
