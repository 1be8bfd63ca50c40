"""Side-by-side timings against the anchors (micrograd, PyTorch): ratios, not timed tests."""
