"""One DATABASE_URL, each environment's PostgreSQL driver."""
import pytest

from bot.database_urls import for_application, for_rasa

SPELLINGS = ["postgresql://shop:pw@db:5432/orders", "postgres://shop:pw@db:5432/orders",
             "postgresql+psycopg://shop:pw@db:5432/orders", "postgresql+psycopg2://shop:pw@db:5432/orders"]


@pytest.mark.parametrize("given", SPELLINGS)
def test_any_spelling_reaches_each_sides_driver_with_the_rest_unchanged(given):
    assert for_application(given) == "postgresql+psycopg://shop:pw@db:5432/orders"
    assert for_rasa(given) == "postgresql://shop:pw@db:5432/orders"


@pytest.mark.parametrize("given", ["sqlite:///var/storefront.db", "sqlite://", "mysql://x@h/db", "not a url"])
def test_other_urls_pass_unchanged(given):
    assert for_application(given) == given and for_rasa(given) == given
