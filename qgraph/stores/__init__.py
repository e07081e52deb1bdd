"""Store backends: ``memory`` (networkx, embedded default) and ``neo4j``."""
