"""A driver's standing: the model (pure), its store, and its recomputation from the sources."""
