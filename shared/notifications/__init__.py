"""Notifications: subscriptions (``subscriptions``), the reminder scan, the fan-out of
change events and the sweeper (``periodic``), the delivery state machine
(``delivery_states``) and the sending itself (``delivery``); delivery jobs are queued by
``queueing``.

Other domains report changes with ``shared.kernel.outbox.emit`` inside their own
transaction; ``dispatch_outbox`` turns each event into one reminder per matching webhook.

Reminder states: pending -> delivering (claimed by one worker, committed before sending)
-> delivered | failed; a failed try goes back to pending with a later next_attempt_at
until ``REMINDER_MAX_ATTEMPTS``. A reminder left delivering by a dead worker is sent again
by the sweeper with the same id, which receivers see as the event id.
"""
