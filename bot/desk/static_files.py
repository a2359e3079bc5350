"""The desk's static files, served from a list made at start rather than by mapping URL paths onto the
file system: aiohttp 3.9's static route lets anyone probe whether paths outside the folder exist
(CVE-2025-69226), and a list can only ever answer for the files that ship with the desk."""
from pathlib import Path
from typing import Dict

from aiohttp import web

from bot.desk.hygiene import error


def static_handler(directory: Path):
    files: Dict[str, Path] = {path.relative_to(directory).as_posix(): path
                              for path in directory.rglob("*") if path.is_file()}

    async def serve(request: web.Request) -> web.StreamResponse:
        path = files.get(request.match_info["path"])
        if path is None:
            return error(404, "no such file")
        return web.FileResponse(path)

    return serve
