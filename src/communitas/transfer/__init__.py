"""Import and export of reference data as CSV and GeoJSON, all or nothing per file."""
