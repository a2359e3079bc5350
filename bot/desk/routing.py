"""Who may call each route of the desk is part of the route's declaration:

    routes = Routes()

    @routes.get("/api/tickets", roles=STAFF)
    async def api_tickets(request): ...

`install(app, routes)` registers the handlers and remembers their roles; `check_declared(app)` refuses
an application holding any route that was added without a declaration; the `guard` middleware enforces
the declaration on every request (login, role, the CSRF header on writes, the body's content type)."""
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable, Dict, FrozenSet, List, Optional

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractRoute

from bot.db.models import Role
from bot.desk.accounts import desk_user_for_token
from bot.desk.blocking import in_session
from bot.desk.context import ENGINE, USER, now
from bot.desk.hygiene import JSON_BODY, MAX_JSON_BODY, error, parse_json
from bot.desk.static_files import static_handler

ANONYMOUS = "anonymous"
ROLES = frozenset(role.value for role in Role)
EVERYONE = frozenset({ANONYMOUS}) | ROLES  # shop pages, login, static files, health
LOGGED_IN = ROLES
STAFF = frozenset({Role.agent.value, Role.supervisor.value, Role.admin.value})  # tickets: customers' data
TRAINERS = frozenset({Role.trainer.value, Role.admin.value})  # the workbench: masked data only
SUPERVISORS = frozenset({Role.supervisor.value, Role.admin.value})  # reassign anything, canned replies, alerts

COOKIE = "desk_session"
# What a write may carry: JSON (the API), an HTML form (the shop's pages) or a file upload.
BODY_KINDS = {"json": ("application/json",),
              "form": ("application/x-www-form-urlencoded", "multipart/form-data"),
              "multipart": ("multipart/form-data",),
              # A shopper's photo sent as the raw body (bot/desk/chat_routes.py decodes and re-encodes it).
              "image": ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")}
ONLY_PHOTOS = "Only photos (JPEG, PNG, WebP or HEIC) can be sent."
WRITES = ("POST", "PUT", "PATCH", "DELETE")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class UndeclaredRoute(RuntimeError):
    """A route was added to the desk without saying who may call it."""


@dataclass(frozen=True)
class Declaration:
    method: str
    path: str
    roles: FrozenSet[str]
    body: str = "json"
    handler: Optional[Handler] = None
    directory: Optional[Path] = None  # for a static folder

    def __post_init__(self):
        unknown = set(self.roles) - EVERYONE
        if not self.roles or unknown:
            raise ValueError(f"{self.method} {self.path}: roles must be a non-empty subset of {sorted(EVERYONE)}")
        if self.body not in BODY_KINDS:
            raise ValueError(f"{self.method} {self.path}: body must be one of {sorted(BODY_KINDS)}")


class Routes:
    """A group of route declarations, usually one module's (one audience)."""

    def __init__(self):
        self.declarations: List[Declaration] = []

    def add(self, method: str, path: str, handler: Handler, *, roles: FrozenSet[str], body: str = "json") -> None:
        self.declarations.append(Declaration(method, path, frozenset(roles), body, handler))

    def route(self, method: str, path: str, *, roles: FrozenSet[str], body: str = "json"):
        def register(handler: Handler) -> Handler:
            self.add(method, path, handler, roles=roles, body=body)
            return handler
        return register

    def get(self, path: str, *, roles: FrozenSet[str]):
        return self.route("GET", path, roles=roles)

    def post(self, path: str, *, roles: FrozenSet[str], body: str = "json"):
        return self.route("POST", path, roles=roles, body=body)

    def put(self, path: str, *, roles: FrozenSet[str], body: str = "json"):
        return self.route("PUT", path, roles=roles, body=body)

    def delete(self, path: str, *, roles: FrozenSet[str]):
        return self.route("DELETE", path, roles=roles)

    def static(self, prefix: str, directory: Path, *, roles: FrozenSet[str]) -> None:
        self.declarations.append(Declaration("GET", prefix, frozenset(roles), directory=directory))


DECLARATIONS = web.AppKey("route_declarations", Dict[AbstractRoute, Declaration])


def install(app: web.Application, *groups: Routes) -> None:
    """Add the groups' routes to the app, in order, each with its declaration (HEAD follows GET)."""
    declared = app.setdefault(DECLARATIONS, {})
    for group in groups:
        for declaration in group.declarations:
            if declaration.directory is not None:
                serve = static_handler(declaration.directory)
                path = declaration.path.rstrip("/") + "/{path:.+}"
                added = [app.router.add_route("GET", path, serve), app.router.add_route("HEAD", path, serve)]
            elif declaration.method == "GET":
                added = [app.router.add_route("GET", declaration.path, declaration.handler),
                         app.router.add_route("HEAD", declaration.path, declaration.handler)]
            else:
                added = [app.router.add_route(declaration.method, declaration.path, declaration.handler)]
            for route in added:
                declared[route] = declaration


def check_declared(app: web.Application) -> None:
    declared = app.get(DECLARATIONS, {})
    missing = [f"{route.method} {route.resource.canonical if route.resource else '?'}"
               for route in app.router.routes() if route not in declared]
    if missing:
        raise UndeclaredRoute("routes added without declaring who may call them: " + ", ".join(missing))


def declaration_of(route: AbstractRoute, app: web.Application) -> Optional[Declaration]:
    return app.get(DECLARATIONS, {}).get(route)


def _refuse_anonymous(request: web.Request) -> web.StreamResponse:
    if request.path.startswith("/api/"):
        return error(401, "log in first")
    raise web.HTTPFound("/login")


@web.middleware
async def guard(request: web.Request, handler: Handler):
    declaration = declaration_of(request.match_info.route, request.app)
    if declaration is None:
        if request.match_info.http_exception is not None:
            return await handler(request)  # no such route or method: the 404/405 itself
        return error(403, "this route declares no roles")  # check_declared makes this unreachable
    role = ANONYMOUS
    if ANONYMOUS not in declaration.roles:
        # Looked up only where a login is needed: public routes (and /health/live) never touch the database.
        user = await in_session(request.app[ENGINE], desk_user_for_token, request.cookies.get(COOKIE), now(request))
        if user is not None:
            request[USER] = user
            role = user["role"].value
    if role not in declaration.roles:
        if role == ANONYMOUS:
            return _refuse_anonymous(request)
        return error(403, "your role may not use this")
    if request.method in WRITES:
        # The session cookie is SameSite=Strict; a custom header on API writes also stops cross-site forms
        # (a form cannot set it, and a cross-site fetch that sets it needs a CORS preflight the desk refuses).
        if request.path.startswith("/api/") and request.headers.get("X-Requested-With") != "desk":
            return error(403, "missing X-Requested-With: desk header")
        refused = await _check_body(request, declaration)
        if refused is not None:
            return refused
    return await handler(request)


async def _check_body(request: web.Request, declaration: Declaration) -> Optional[web.Response]:
    request[JSON_BODY] = None
    if not request.body_exists:
        return None
    accepted = BODY_KINDS[declaration.body]
    if request.content_type not in accepted:
        if declaration.body == "image":
            return error(415, ONLY_PHOTOS)  # read by shoppers, in the chat widget
        return error(400, f"send the body as {' or '.join(accepted)}")
    if declaration.body != "json":
        return None  # forms and uploads are read by their handlers
    if request.content_length is not None and request.content_length > MAX_JSON_BODY:
        return error(413, f"the body is larger than {MAX_JSON_BODY // 1024} KB")
    raw = await request.read()  # kept by aiohttp: a handler's request.json() reads the same bytes
    if len(raw) > MAX_JSON_BODY:
        return error(413, f"the body is larger than {MAX_JSON_BODY // 1024} KB")
    request[JSON_BODY] = parse_json(raw)
    return None
