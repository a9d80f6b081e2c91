"""Kubernetes RBAC: model, authorizer, risky grants, escalation paths, least privilege."""
