"""Delivery channels, registered in one table: a channel is one folder here plus one line in `CHANNELS`.

Each channel folder holds its transports (what turns a rendered message into a request to a provider) and says its
`NAME`, which every `Delivery` it sends records as its channel. Today there is one, `email`; an SMS channel for
urgent alerts would be `sms/` and a line below. `advocacy.app.App` builds each channel's backend once from the config.
May import: `digests` and `vocabulary` only.
"""

from __future__ import annotations

from types import ModuleType

from digests.channels import email

CHANNELS: dict[str, ModuleType] = {
    email.NAME: email,
}
