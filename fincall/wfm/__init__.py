"""Workforce management: forecasting, Erlang C/A staffing, schedules."""
