"""The generic messaging webhook: signed inbound POSTs from gateways, signed replies back."""
