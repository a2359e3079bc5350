"""The desk: agent console and its JSON API (aiohttp)."""
