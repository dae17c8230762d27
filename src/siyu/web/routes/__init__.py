"""Console routes, one module per noun."""
