"""The agent console's routes: the live feed (server-sent events) that tells open consoles what changed."""
from bot.desk.routing import Routes

routes = Routes()
