"""The agent console's routes: the customer panel beside a conversation (bot/desk/customers.py). Customers'
data (emails, orders, tracking numbers): staff only, never trainers."""
from aiohttp import web

from bot.desk import customers
from bot.desk.blocking import in_session
from bot.desk.context import ENGINE, STOREFRONT, now
from bot.desk.hygiene import error, row_id
from bot.desk.routing import STAFF, Routes

routes = Routes()


@routes.get("/api/tickets/{ticket_id}/customer", roles=STAFF)
async def api_customer(request: web.Request):
    ticket_id = row_id(request.match_info["ticket_id"], "a ticket id")
    try:
        panel = await in_session(request.app[ENGINE], customers.customer_panel, ticket_id=ticket_id,
                                 identity_secret=request.app[STOREFRONT].identity_secret, today=now(request).date())
    except customers.NoSuchTicket:
        return error(404, "no such ticket")
    return web.json_response(panel)
