"""Legislative updates, advocacy alerts and Q&A call agendas for collaboratives of school districts."""

__version__ = "0.1.0"
