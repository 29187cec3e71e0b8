"""Rendering and sending of digests, alerts and call agendas."""
