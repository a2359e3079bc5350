"""The action server: rasa_sdk's, listening on the local interface only, answering the Rasa server
only (the token Rasa sends, derived from RASA_TOKEN), with a readiness check.

`/health` (rasa_sdk's own) says the process answers; `/health/ready` also runs a query on the order
database, so that a balancer or supervisor can tell a live server from one that can do its work."""
import os
import warnings

from bot.db import get_engine
from bot.db.models import Order
from bot.readiness import database_problem

# Rasa's requests (a tracker and the domain) are well under this; anything bigger is not from Rasa.
MAX_REQUEST_BYTES = 4 * 1024 * 1024


def create_action_app(token: str):
    import hmac

    from rasa_sdk.endpoint import create_app
    from rasa_sdk.executor import ActionExecutor
    from sanic import response

    # rasa-sdk warns (once) that 3.21 and Rasa 3.6.21 differ in version; the action protocol they speak is
    # the same, which the integration tests hold on every kind of turn.
    warnings.filterwarnings("ignore", message="Your versions of rasa and rasa_sdk might not be compatible")
    executor = ActionExecutor()
    executor.register_package("actions")
    # No CORS: only the Rasa server calls the action server, never a browser.
    app = create_app(executor, cors_origins=None)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES

    async def ready(request):
        import asyncio

        problem = await asyncio.get_running_loop().run_in_executor(
            None, database_problem, get_engine(), Order.__tablename__)
        if problem is None:
            return response.json({"status": "ready"})
        return response.json({"status": "not ready", "problem": "the order database does not answer"}, status=503)

    app.add_route(ready, "/health/ready", methods=["GET"])

    @app.middleware("request")
    async def only_rasa(request):
        # Whoever could call the webhook could set any slot ("verified_order") and read any order.
        if request.path.startswith("/health"):
            return None
        if not token or not hmac.compare_digest(request.args.get("token", ""), token):
            return response.json({"error": "the action server answers the Rasa server only"}, status=401)
        return None
    from rasa_sdk.plugin import plugin_manager

    plugin_manager().hook.attach_sanic_app_extensions(app=app)  # as rasa_sdk's own run() does
    return app


def serve(port: int, token: str) -> None:
    host = os.environ.get("ACTION_HOST", "127.0.0.1")
    # One process: the actions share the engine's connection pool and the settings of this one. No access
    # log, as before: a line per action call would say nothing the Rasa server's log does not.
    create_action_app(token).run(host=host, port=port, single_process=True, access_log=False, motd=False)
