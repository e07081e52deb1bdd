// Ids adjacent (either direction) to any of $ids through an edge whose type is in $types: one BFS level.
MATCH (n:Entity)-[r]-(m:Entity)
WHERE n.id IN $ids AND type(r) IN $types
RETURN DISTINCT m.id AS id
