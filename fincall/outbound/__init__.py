"""Outbound campaigns.

Pure modules (no I/O): ``gate`` (the compliance gate), ``rules`` (per-jurisdiction YAML in
``rules/``), ``outcomes`` (outcomes, retries, callbacks, attempt state machine), ``pacing``
(preview/progressive/predictive), ``dispatch`` (gate + pacing: whom to dial now), ``lists``
(contact-list and national DNC CSV validation), ``analytics`` (campaign metrics), ``dialer``
(the trunk Protocol and a simulated trunk), ``simulation`` (a campaign day). ``cli`` holds the
``outbound check`` command.
"""
