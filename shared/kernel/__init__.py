"""What every domain uses: input problems and reference validators, natural paragraph
keys, SDG helpers, optimistic concurrency, the outbox of change events and the repository
base. The kernel sits at the bottom of the domains: it imports none of them."""
