"""The states of a queued action as the outbox stores them, apart from the models: plain
strings, of which models.ActionState is made, so code that reads the outbox without msgspec
(`zen-tui outbox`'s quick lane: store/outbox_listing.py) names them as the store does."""

from __future__ import annotations

PENDING = "pending"  # written to the outbox, not yet confirmed
SENDING = "sending"
UNKNOWN = "unknown"  # sent, outcome not known (timeout): verified before any resend
DONE = "done"
FAILED = "failed"

# Not sent yet: an account's later entries wait behind these (sent in order).
HOLDS_LATER = (PENDING, UNKNOWN, SENDING)
# Not done: what `zen-tui outbox`, the outbox view and the cards' figures count.
NOT_DONE = (*HOLDS_LATER, FAILED)
