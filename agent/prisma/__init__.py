"""Prisma: read `schema.prisma` generator blocks, detect the Prisma version, check and fix `binaryTargets`.

`schema` parses and edits the schema text, `version` reads package.json and lock files, `check` decides
whether an image's runtime needs a query-engine target that the schema does not generate, and adds it.
"""
