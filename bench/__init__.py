"""The project's measuring bench: ``python -m bench NAME`` measures one thing, prints its tables and writes
them into their section of a docs page (``bench.harness``). Empty, so that ``bench.peers`` runs in a virtualenv
without JAX."""
