"""Domain logic in plain modules: the HTTP layer and the CLI both call these."""
