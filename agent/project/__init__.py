"""Your project as shipshape sees it: shipshape.toml, what `init` detects, sizes with units."""
