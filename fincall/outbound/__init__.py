"""Outbound campaigns.

Pure modules (no I/O): ``gate`` (the compliance gate; ``gate_time`` holds its per-day calendar
data, ``gate_general`` the walk for several zones and days with a clock change), ``rules``
(per-jurisdiction YAML in ``rules/``), ``outcomes`` (outcomes, retries, callbacks, attempt state
machine), ``pacing`` (preview/progressive/predictive), ``dispatch`` (gate + pacing: whom to dial
now), ``lists`` (contact-list and national DNC CSV validation), ``analytics`` (campaign
metrics), ``dialer`` (the trunk Protocol and a simulated trunk), ``simulation`` (a campaign
day). ``cli`` holds the ``outbound check`` command.

Over the database: ``models`` (tables), ``gatedata`` (gate inputs from customers, attempts and
DNC lists), ``service`` (campaigns and members), ``attempts`` (gated dials and outcomes),
``dnc`` (internal and national do-not-call), ``reports`` (metrics), ``pacing_stats`` (measured
answer rate and handle time for pacing), ``runner`` (the background campaign runner),
``sip_trunk`` (real campaign calls through the voice channel), ``events`` (listeners),
``views`` (HTTP API and pages), ``demo`` (demo data).
"""
