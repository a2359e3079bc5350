"""The agent console's routes: SLA policies, supervisors' alerts and follow-up tasks."""
from bot.desk.routing import Routes

routes = Routes()
