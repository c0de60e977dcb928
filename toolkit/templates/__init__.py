"""Investigation and detection templates: the catalog of `queries/`, rendering parameters into
SQL, and the sweep that runs every detection."""
