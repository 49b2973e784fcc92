"""One snapshot of the store, the shared reads and the record ↔ row conversions."""
