"""Images: finding a project's images (`shipshape init`), the content hash of their inputs, ELF headers, the
Dockerfile check, and the checks several tools run on a built image (budget, Prisma engine, current tag)."""
