"""Load and validate the data files: the taxonomy, FAQ rulings, examples and reference texts."""
