"""One guard for every outbound HTTP request (webhooks, document sources, UHRI downloads).

``make_client`` gives an httpx client that resolves each host once, refuses any address
that is not public unicast (unless ``EGRESS_ALLOW_HOSTS`` / ``EGRESS_ALLOW_PRIVATE`` say
otherwise), connects to exactly the address it checked, checks every redirect hop the
same way, and caps bytes and time. ``check_url`` runs the same checks ahead of time, so
that a request can be refused when it is submitted.
"""

from shared.egress.policy import EgressRefused, Policy, check_url, check_url_form
from shared.egress.transport import (
    EgressTransport,
    PinnedBackend,
    ResponseTooLarge,
    ResponseTooSlow,
    make_client,
)

__all__ = [
    "EgressRefused",
    "EgressTransport",
    "PinnedBackend",
    "Policy",
    "ResponseTooLarge",
    "ResponseTooSlow",
    "check_url",
    "check_url_form",
    "make_client",
]
