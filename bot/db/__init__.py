"""Database models and session helpers."""
from bot.db.models import CANCELLABLE, Base, Customer, Order, OrderLine, OrderStatus, Shipment, TrackingEvent
from bot.db.session import create_schema, get_engine, session_scope

__all__ = ["Base", "CANCELLABLE", "Customer", "Order", "OrderLine", "OrderStatus", "Shipment", "TrackingEvent",
           "create_schema", "get_engine", "session_scope"]
