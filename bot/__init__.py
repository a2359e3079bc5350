"""Storefront Assistant: everything that is not Rasa glue."""
