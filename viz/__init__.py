"""Pictures of the computation graph (filled in by the graph-picture issue)."""
