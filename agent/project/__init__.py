"""Your project as shipshape sees it: shipshape.toml (and the Prisma target names it may use), sizes with units."""
