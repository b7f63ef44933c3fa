"""Agents' corrections of the model: stored, measured, exported, and remembered at once.

A helpdesk's own messages differ from the corpus the model learned from; every cause an agent removes
or adds is the cheapest labelled example that company will ever get, so it is kept (store.py), scored
against what the model said (stats.py), written in the corpus format for training (export.py) and,
before any retraining, used as a nearest-neighbour memory for the next similar complaint (memory.py).
"""
