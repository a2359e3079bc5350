"""The agent console's routes: the customer panel and the conversation's timeline."""
from bot.desk.routing import Routes

routes = Routes()
