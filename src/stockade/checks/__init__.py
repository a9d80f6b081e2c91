"""Configuration checks: Kubernetes workloads (Pod Security Standards, best practice), Dockerfiles."""
