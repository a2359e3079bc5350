"""The agent console's routes: the inbox views, assignment, availability and resolve (agents, supervisors)."""
from bot.desk.routing import Routes

routes = Routes()
