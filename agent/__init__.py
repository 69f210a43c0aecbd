"""shipshape: keeps containers and local Kubernetes deployments healthy."""
