"""Messaging channels: the :class:`~siyu.adapters.channels.port.Channel` port and its
implementations (``wecom``: the real WeCom HTTP API; a sandbox comes later)."""
