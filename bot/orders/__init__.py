"""Orders: number formats, verified lookup, status replies and cancellation."""
