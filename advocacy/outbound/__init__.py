"""Step 4, send: everything that leaves for members - digests, alerts, agendas, reminders - exactly once.

Owns what goes into each email (`digest`, `alerts`, `agenda`, `reminders`, `opportunities`, `acted`), one email
to one member (`outgoing`) and the sending ledger (`sending`); what happened after (`engagement`: the provider's
events and suppressed addresses; `ledger`: each district's signs of life). Rendering and transports live in `digests/`.
May import: `vocabulary`, `digests`, `advocacy.models`, `advocacy.people`, `advocacy.tagging`, the root modules.
Never `advocacy.inbound`: replies come back in through that package, which may import this one.
"""
