"""`make bench` (speed and memory) and `make chaos` (faults against the real bot process)."""
