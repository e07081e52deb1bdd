// The search terms of every node, for the vocabulary of a database made before it existed (Neo4jStore.ensure_schema
// builds its first chunk from them).
MATCH (n:Entity)
RETURN n.search_names AS names, n.search_description AS description
