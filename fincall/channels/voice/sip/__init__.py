"""SIP protocol pieces: message parsing/serialising and digest authentication."""
