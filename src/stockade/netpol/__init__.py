"""Network segmentation: exact Kubernetes NetworkPolicy analysis, observed flows, least-privilege policy."""
