"""The agent console's routes: canned replies: everyone on staff reads them, supervisors manage them."""
from bot.desk.routing import Routes

routes = Routes()
