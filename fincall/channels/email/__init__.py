"""The email channel: an SMTP listener for inbound mail, threaded replies out through a relay."""
