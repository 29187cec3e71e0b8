"""Rendering and sending of digests, alerts and call agendas: one context in, subject, text and HTML out; each
delivery channel (`channels`, one folder each) carries the result. May import: `vocabulary` only.
"""
