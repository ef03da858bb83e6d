"""The Telegram layer: handlers, views (pure rendering), delivery (outbox notifier and sender), briefings."""

import os

# Opt in to PTB's timedelta time periods (RetryAfter.retry_after etc.) now: without it PTB 22 warns
# with PTBDeprecationWarning each time a RetryAfter is built, which pytest's filterwarnings=error raises.
os.environ.setdefault("PTB_TIMEDELTA", "true")
