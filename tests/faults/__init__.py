"""Fault tests: the product against its own Redis and PostgreSQL, stopped on purpose.

Each test starts private servers on free ports and stops them; the machine's shared PostgreSQL
and Redis are never touched. A worker killed (SIGKILL) mid-sweep is covered by
tests/dispatch/test_sweep_worker.py (each alert once).
"""
