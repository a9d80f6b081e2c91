"""Kubernetes workload checks."""
