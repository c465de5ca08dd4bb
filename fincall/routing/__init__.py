"""Routing: queues, the routing policy, offers, agent presence and service-level tracking."""
