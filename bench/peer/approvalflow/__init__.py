"""The peer's one-approval flow: start → approve (a human task) → end."""
