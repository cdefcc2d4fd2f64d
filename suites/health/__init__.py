"""Health suite: /api/health, aggregate health, config drift."""
