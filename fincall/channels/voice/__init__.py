"""Voice channel: a SIP/RTP endpoint (asyncio) with IVR media, bridging and encrypted recording.

Entry point for the service: :func:`fincall.channels.voice.service.start_voice`.
"""
