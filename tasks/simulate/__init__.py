"""The inbox simulator: a realistic inbox (master data, orders, the three chains' feeds) with tunable
anomalies, byte-identical for the same seed. See docs/simulator.md."""

from tasks.simulate.anomalies import ANOMALIES
from tasks.simulate.run import SimulationSummary, simulate

__all__ = ["ANOMALIES", "SimulationSummary", "simulate"]
