"""The shopper-facing description of an order's status."""
from datetime import date

from bot.db.models import OrderStatus
from bot.orders.lookup import OrderView
from bot.orders.masking import mask_email

HEADLINES = {
    OrderStatus.placed: "has been placed and is waiting to be packed",
    OrderStatus.processing: "is being packed in our warehouse",
    OrderStatus.shipped: "has shipped",
    OrderStatus.in_transit: "is on its way",
    OrderStatus.out_for_delivery: "is out for delivery today",
    OrderStatus.delivered: "was delivered",
    OrderStatus.delayed: "is delayed",
    OrderStatus.cancelled: "was cancelled",
    OrderStatus.returned: "was returned to us and your refund is being processed",
    OrderStatus.refunded: "was returned and refunded",
}


def _day(value) -> str:
    return value.strftime("%a %d %b")


def describe(order: OrderView, today: date) -> str:
    items = ", ".join(f"{l.quantity} x {l.name} (size {l.size})" for l in order.lines)
    parts = []
    late = order.is_late(today)
    if late:
        days = (today - order.estimated_delivery).days if order.estimated_delivery else 0
        parts.append(
            f"I'm sorry: order {order.number} is running late"
            + (f", {days} day{'s' if days != 1 else ''} past its estimated delivery of "
               f"{_day(order.estimated_delivery)}." if days > 0 else ".")
        )
    else:
        parts.append(f"Order {order.number} {HEADLINES[order.status]}"
                     + (f" on {_day(order.delivered_at)}." if order.status == OrderStatus.delivered
                        and order.delivered_at else "."))
    parts.append(f"Items: {items}.")
    if order.carrier and order.tracking_number:
        parts.append(f"Carrier: {order.carrier}, tracking number {order.tracking_number}.")
    if order.estimated_delivery and order.status in (
            OrderStatus.shipped, OrderStatus.in_transit, OrderStatus.out_for_delivery) and not late:
        parts.append(f"Estimated delivery: {_day(order.estimated_delivery)}.")
    if order.latest_event:
        event = order.latest_event
        parts.append(f"Latest update: {event.description} ({event.location}, "
                     f"{event.occurred_at.strftime('%d %b %H:%M')}).")
    if order.status in (OrderStatus.placed, OrderStatus.processing):
        parts.append("You can still cancel it or change the address until it ships.")
    parts.append(f"Updates go to {mask_email(order.email)}.")
    return " ".join(parts)


def describe_other_orders(orders) -> str:
    """One line for a signed-in customer's other recent orders; details come when they pick one."""
    listed = "; ".join(f"{o.number} ({o.placed_at.strftime('%d %b')}): {o.status.value.replace('_', ' ')}"
                       for o in orders)
    return f"Your other recent orders: {listed}. Pick one for its details."
