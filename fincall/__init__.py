"""fincall: a self-hosted, compliance-first contact center for financial institutions."""

__version__ = "0.1.0"
