"""What several tools check in an image: the content hash of its inputs, ELF headers, the Dockerfile, budgets."""
