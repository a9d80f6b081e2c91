"""The inventory store: every scan recorded, every workload listed."""
