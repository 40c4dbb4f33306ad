"""The test file ``pytest --chariots-worker-pool URL`` runs (the chariots pytest plugin adds this
folder to the paths to collect)."""
