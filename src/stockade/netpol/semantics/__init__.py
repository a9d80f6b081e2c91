"""The NetworkPolicy decision procedure (networking.k8s.io/v1), exact."""
