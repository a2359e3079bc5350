"""The per-message cost of our own parts, each in isolation: knowledge-base fuzzy search over a large
catalog, anger scoring, the handoff policy, and the verified order lookup in a large database."""
import dataclasses
import itertools
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, Sequence

from bot.environments import in_rasa_environment, rasa_child_environment, require_rasa_python
from bot.settings import PROJECT_ROOT

ADJECTIVES = ["Crimson", "Slate", "Glacier", "Summit", "Coastal", "Desert", "Forest", "Harbor", "Meadow", "Canyon",
              "Polar", "Ember", "Storm", "Willow", "Granite", "Aurora", "Timber", "Prairie", "Tidal", "Cobalt",
              "Juniper", "Basalt", "Cedar", "Dune", "Fjord", "Glade", "Heron", "Iris", "Kestrel", "Lichen",
              "Marsh", "Nimbus", "Onyx", "Pine", "Quarry", "Ridge", "Sierra", "Tundra", "Umber", "Vale"]
EDITIONS = ["", " II", " Pro", " Lite", " Classic", " Trek", " Flex"]
QUERIES = ["does the crimson alpin parka run small", "can I return the slate cloudstep sneaker",
           "return window for the harbor chelsea boot", "size for the glacier winter boot pro",
           "is the summit hiking boot trek waterproof", "what size merino trail tee", "do you have the ridgeline softshel",
           "can i return worn sneakers", "how much is express shipping to canada", "which size trail jacket for 182 cm",
           "alpine parka", "meadow wrap dres lite", "the daypack 22l", "boardwalk slide final sale?"]


def stats(samples_ms: Sequence[float]) -> Dict[str, float]:
    ordered = sorted(samples_ms)

    def at(q):
        return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 4)
    return {"calls": len(ordered), "mean_ms": round(statistics.fmean(ordered), 4), "p50_ms": at(0.5),
            "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": round(ordered[-1], 4)}


def timed(function: Callable, inputs: Sequence, rounds: int = 1, warmup: int = 5) -> Dict[str, float]:
    for value in list(inputs)[:warmup]:
        function(value)
    samples = []
    for _ in range(rounds):
        for value in inputs:
            started = time.perf_counter()
            function(value)
            samples.append((time.perf_counter() - started) * 1000)
    return stats(samples)


def big_catalog(kb, size: int):
    """The real catalog multiplied into `size` distinct products ("Crimson Alpine Parka II", ...)."""
    from bot.knowledge.schema import Product

    products = dict(kb.products)
    base = sorted(kb.products.values(), key=lambda p: p.sku)
    codes = ("".join(letters) for letters in itertools.product("ABCDEFGHIJKLMNOPQRSTUVWXYZ", repeat=3))
    code, serial = next(codes), 0
    for adjective, edition, product in itertools.product(ADJECTIVES, EDITIONS, base):
        if len(products) >= size:
            break
        if serial == 1000:
            code, serial = next(codes), 0
        sku = f"XX-{code}-{serial:03d}"
        serial += 1
        products[sku] = Product(**{**product.model_dump(), "sku": sku, "name": f"{adjective} {product.name}{edition}"})
    return dataclasses.replace(kb, products=products)


def knowledge_search(size: int) -> Dict[str, object]:
    from bot.knowledge import Knowledge, load_knowledge_base

    kb = big_catalog(load_knowledge_base(PROJECT_ROOT / "knowledge_base"), size)
    started = time.perf_counter()
    knowledge = Knowledge(kb)
    build_ms = (time.perf_counter() - started) * 1000
    return {"products": len(kb.products), "index_build_ms": round(build_ms, 1),
            "product_match": timed(knowledge.matcher.resolve_product, QUERIES, rounds=5),
            "faq_search": timed(knowledge.search, QUERIES, rounds=5),
            "returns_answer": timed(knowledge.returns, QUERIES, rounds=3)}


def anger_scoring() -> Dict[str, object]:
    from bot.handoff.anger import AngerScorer
    from bot.handoff.anger_eval import default_sets

    ordinary, angry = default_sets()
    return {"messages": len(ordinary) + len(angry), "score": timed(AngerScorer.from_file().score, ordinary + angry, 3)}


def handoff_policy(tmp_path) -> Dict[str, object]:
    """Measured in the Rasa environment, where the policy runs (a child process when called from the
    application environment)."""
    if not in_rasa_environment():
        measured = subprocess.run([require_rasa_python(), "-m", "bench.components", "handoff-policy", str(tmp_path)],
                                  cwd=PROJECT_ROOT, env=rasa_child_environment(), capture_output=True, text=True,
                                  timeout=600)
        if measured.returncode != 0:
            raise RuntimeError(f"measuring in the Rasa environment failed: {measured.stderr[-800:]}")
        return json.loads(measured.stdout.strip().splitlines()[-1])
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.handoff.policy import HandoffPolicy

    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    policy = HandoffPolicy.create({"repeats": 3}, LocalModelStorage(tmp_path), Resource("handoff"),
                                  ExecutionContext(GraphSchema({}), "bench"))
    texts = [("hi", "greet"), ("can i return worn sneakers", "ask_return_policy"),
             ("how much is express to canada", "ask_shipping"), ("where is my order", "order_status"),
             ("TS100004", "inform"), ("V6B 1A1", "inform"), ("thanks", "thank"), ("what size trail jacket", "ask_sizing"),
             ("do you take paypal", "ask_payment"), ("this is taking forever!!", "complain")]
    def said(text, intent):
        return UserUttered(text, {"name": intent, "confidence": 0.9},
                           parse_data={"intent": {"name": intent, "confidence": 0.9},
                                       "anger": {"score": 0.0, "level": "none", "cues": []}})
    trackers = []
    for turns in (1, 5, 10):
        # The moment the policy decides: the shopper has just spoken, after `turns - 1` answered turns.
        events = [ActionExecuted("action_listen")]
        for text, intent in texts[:turns - 1]:
            events += [said(text, intent), ActionExecuted("action_answer_from_knowledge_base"), BotUttered("answer"),
                       ActionExecuted("action_listen")]
        events.append(said(*texts[turns - 1]))
        trackers.append(DialogueStateTracker.from_events("bench", events, domain.slots))
    # Each tracker reaches the full decision (the policy returns early unless the shopper just spoke).
    assert all(t.latest_action_name == "action_listen" and isinstance(t.events[-1], UserUttered) for t in trackers)
    return {"turns_in_session": [1, 5, 10],
            "predict": timed(lambda tracker: policy.predict_action_probabilities(tracker, domain), trackers * 50)}


def order_lookup(url: str, count: int, lookups: int = 2000) -> Dict[str, object]:
    from bot.db import session_scope
    from bot.orders.lookup import find_verified_order

    from bench import orders_data

    started = time.perf_counter()
    engine = orders_data.build(url, count)
    build_seconds = time.perf_counter() - started
    customers = max(count // 5, 1)
    rng = random.Random(3)
    indexes = [rng.randrange(count) for _ in range(lookups)]
    known = [(orders_data.number(i), orders_data.email(orders_data.customer_of(i, customers))) for i in indexes]
    wrong = [(orders_data.number(i), "someone@example.com") for i in indexes[: lookups // 10]]

    def lookup(pair):
        with session_scope(engine) as session:
            return find_verified_order(session, number=pair[0], factor=pair[1])
    assert lookup(known[0]) is not None, "a generated order must be found"
    # The first touch of an order may read the disk; the second finds it in the database's cache,
    # which is where a busy shop's recent orders live.
    first_touch = timed(lookup, known, warmup=0)
    result = {"orders": orders_data.order_count(engine), "database": engine.dialect.name,
              "build_or_check_seconds": round(build_seconds, 1), "first_touch_lookup": first_touch,
              "verified_lookup": timed(lookup, known), "failed_verification": timed(lookup, wrong)}
    engine.dispose()
    return result


def run_all(*, catalog_size: int, order_count: int, sqlite_url: str, postgres_url: str, tmp_path) -> Dict[str, object]:
    results: Dict[str, object] = {}
    for name, work in (("knowledge_search", lambda: knowledge_search(catalog_size)),
                       ("anger_scoring", anger_scoring), ("handoff_policy", lambda: handoff_policy(tmp_path)),
                       ("order_lookup_sqlite", lambda: order_lookup(sqlite_url, order_count)),
                       ("order_lookup_postgresql", lambda: order_lookup(postgres_url, order_count))):
        print(f"[components] {name}...", flush=True)
        try:
            results[name] = work()
        except Exception as error:  # a missing PostgreSQL must not lose the other figures
            results[name] = {"error": f"{error.__class__.__name__}: {error}"[:500]}
    return results


if __name__ == "__main__":
    if sys.argv[1:2] != ["handoff-policy"] or len(sys.argv) != 3:
        sys.exit("usage: python -m bench.components handoff-policy TMP_DIR (in the Rasa environment)")
    print(json.dumps(handoff_policy(Path(sys.argv[2]))))
