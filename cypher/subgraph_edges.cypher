// Every edge between two of $ids.
MATCH (a:Entity)-[r]->(b:Entity)
WHERE a.id IN $ids AND b.id IN $ids
RETURN type(r) AS type, a.id AS source, b.id AS target, r.sources AS sources
