"""Shared infrastructure: settings, database sessions, Redis, logging and the error base.

Every domain package (codegen, rewards, risk, brands) builds on these;
nothing here imports a domain.
"""
