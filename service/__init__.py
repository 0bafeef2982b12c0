"""The one layer the operators and the panel call: it owns the connection
of an execution (one client, closed when done), the run locks, FiftyOne's
results cache and the reading of run documents, and calls the backend.

Plain Python, no App types: one module per job (``connection``, ``runs``,
``projects``, ``request``, ``load``, ``status``, ``delete``,
``import_project``, ``label_counts``).
"""
