"""A large order database for the lookup benchmark: N orders (TS000000...) with their customers, lines,
shipments and tracking events, bulk-loaded (COPY on PostgreSQL, one transaction on SQLite). Built once
and reused while it has the right number of orders."""
import csv
import io
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator, List, Tuple

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url

from bot.database_urls import for_application
from bot.db import Order, create_schema

STATUSES = ["placed", "processing", "shipped", "in_transit", "out_for_delivery", "delivered", "delayed",
            "cancelled", "returned", "refunded"]
SHIPPED = {"shipped", "in_transit", "out_for_delivery", "delivered", "delayed", "returned", "refunded"}
CHUNK = 100_000


def number(index: int) -> str:
    return f"TS{index:06d}"


def email(customer_id: int) -> str:
    return f"shopper{customer_id}@example.com"


def customer_of(index: int, customers: int) -> int:
    return index % customers + 1


def _rows(count: int, customers: int) -> Iterator[Tuple[str, list]]:
    rng = random.Random(7)
    start = datetime(2026, 1, 1)
    for customer_id in range(1, customers + 1):
        yield "customers", [customer_id, email(customer_id), f"Shopper {customer_id}"]
    shipment_id = 0
    for index in range(count):
        order_id = index + 1
        status = STATUSES[index % len(STATUSES)]
        placed = start + timedelta(minutes=index % 400_000)
        yield "orders", [order_id, number(index), customer_of(index, customers), status, placed, placed, "Shopper",
                         "Burlington", f"{5400 + index % 100:05d}", "US", "standard", "card",
                         4900 + index % 10_000, "USD"]
        yield "order_lines", [order_id, order_id, "TS-JKT-001", "Trail Jacket", "M", 1, 14900]
        if status in SHIPPED:
            shipment_id += 1
            shipped = placed + timedelta(days=1)
            yield "shipments", [shipment_id, order_id, "UPS", f"1Z{rng.randrange(10**15):015d}", shipped,
                                (shipped + timedelta(days=4)).date(), None]
            yield "tracking_events", [shipment_id, shipment_id, shipped, "Burlington, VT", "Picked up by carrier"]


COLUMNS = {
    "customers": "id, email, name",
    "orders": "id, number, customer_id, status, placed_at, updated_at, shipping_name, shipping_city, "
              "shipping_postcode, shipping_country, shipping_method, payment_method, total_cents, currency",
    "order_lines": "id, order_id, sku, name, size, quantity, unit_price_cents",
    "shipments": "id, order_id, carrier, tracking_number, shipped_at, estimated_delivery, delivered_at",
    "tracking_events": "id, shipment_id, occurred_at, location, description",
}


def order_count(engine: Engine) -> int:
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count(Order.id))).scalar_one()
    except Exception:
        return -1


def _empty(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in ("tracking_events", "shipments", "order_lines", "orders", "customers"):
            connection.execute(text(f"DELETE FROM {table}"))


def _load_sqlite(engine: Engine, count: int, customers: int) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        batches: dict = {name: [] for name in COLUMNS}
        for table, row in _rows(count, customers):
            batches[table].append(row)
            if len(batches[table]) >= CHUNK:
                _insert(cursor, table, batches[table])
                batches[table] = []
        for table, rows in batches.items():
            _insert(cursor, table, rows)
        raw.commit()
    finally:
        raw.close()


def _insert(cursor, table: str, rows: List[list]) -> None:
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        cursor.executemany(f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})", rows)


def _load_postgres(engine: Engine, count: int, customers: int) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        buffers = {name: io.StringIO() for name in COLUMNS}
        writers = {name: csv.writer(buffer) for name, buffer in buffers.items()}
        sizes = {name: 0 for name in COLUMNS}

        def flush(table):
            with cursor.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN WITH (FORMAT csv, NULL '')") as copy:
                copy.write(buffers[table].getvalue())
            buffers[table] = io.StringIO()
            writers[table] = csv.writer(buffers[table])
            sizes[table] = 0
        def flush_all():
            for table in COLUMNS:  # parents first: foreign keys are checked as rows arrive
                if sizes[table]:
                    flush(table)
        for table, row in _rows(count, customers):
            writers[table].writerow(["" if value is None else value for value in row])
            sizes[table] += 1
            if sizes[table] >= CHUNK:
                flush_all()
        flush_all()
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def ensure_postgres_database(url: str) -> None:
    parsed = make_url(for_application(url))
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                    {"name": parsed.database}).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def build(url: str, count: int) -> Engine:
    """An engine on a database holding exactly `count` generated orders (built when it does not)."""
    if url.startswith("postgresql"):
        ensure_postgres_database(url)
    elif make_url(url).database:
        Path(make_url(url).database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(for_application(url))
    create_schema(engine)
    if order_count(engine) != count:
        _empty(engine)
        customers = max(count // 5, 1)
        (_load_postgres if engine.dialect.name == "postgresql" else _load_sqlite)(engine, count, customers)
    return engine
