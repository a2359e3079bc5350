"""Command line: python -m bot <command>."""
import argparse
import json
import sys
from datetime import date
from typing import List, Optional


def _check_kb(args) -> int:
    from bot.knowledge import KnowledgeBaseError, load_knowledge_base
    from bot.settings import get_settings

    directory = args.directory or get_settings().knowledge_base_dir
    try:
        kb = load_knowledge_base(directory)
    except KnowledgeBaseError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"knowledge base OK: {len(kb.products)} products, {len(kb.categories)} categories, "
          f"{len(kb.shipping.regions)} shipping regions")
    return 0


def _seed(args) -> int:
    from bot.db import create_schema, get_engine, session_scope
    from bot.db.seed import seed
    from bot.knowledge import get_knowledge

    engine = get_engine(args.database_url)
    create_schema(engine)
    today = date.fromisoformat(args.today) if args.today else date.today()
    with session_scope(engine) as session:
        summary = seed(session, get_knowledge().kb, today)
    print(json.dumps({"customers": summary.customers, "orders": summary.orders, "by_status": summary.by_status}))
    return 0


def _init_db(args) -> int:
    """Create the tables and seed only when the database has no orders yet (keeps real data)."""
    from sqlalchemy import func, select

    from bot.db import Order, create_schema, get_engine, session_scope

    engine = get_engine(args.database_url)
    create_schema(engine)
    with session_scope(engine) as session:
        count = session.execute(select(func.count(Order.id))).scalar_one()
    if count:
        print(f"database ready: {count} orders")
        return 0
    return _seed(args)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Storefront Assistant tools")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check-kb", help="validate knowledge_base/ and report every problem")
    check.add_argument("directory", nargs="?", default=None)
    check.set_defaults(handler=_check_kb)

    for name, handler, text in (("seed", _seed, "replace all orders with the deterministic demo set"),
                                ("init-db", _init_db, "create tables; seed if there are no orders")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--database-url", default=None, help="defaults to DATABASE_URL or var/storefront.db")
        sub.add_argument("--today", default=None, help="anchor date for the demo data (YYYY-MM-DD)")
        sub.set_defaults(handler=handler)

    args = parser.parse_args(argv)
    return args.handler(args)
