"""Resource tables (catalogue, holdings, capacity offers, reserve norms)."""
