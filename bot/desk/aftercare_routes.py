"""The agent console's routes: after the conversation: CSAT from the widget, replies and transcripts by email."""
from bot.desk.routing import Routes

routes = Routes()
