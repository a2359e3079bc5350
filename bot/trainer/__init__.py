"""The trainer's loop: real messages into an inbox, labels on them, labels back into training data."""
