"""The shopper's chat: signed customer identity, widget sessions, and reading conversations back."""
