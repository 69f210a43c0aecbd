"""Tools: prisma."""
