"""Graph data structures: dtypes, shapes, the op registry, Graph/Operation/Tensor, errors."""
