"""Quality inspection: scorecards, coaching triggers, batch inspection and reports."""
