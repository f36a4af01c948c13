"""Our own NLU components, used from config.yml."""
