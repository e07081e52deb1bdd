// Every edge of a dataset ($dataset null: every edge). Edges without `_origin` belong to $default_dataset.
MATCH (a:Entity)-[r]->(b:Entity)
WHERE $dataset IS NULL OR coalesce(r._origin, $default_dataset) = $dataset
RETURN type(r) AS type, a.id AS source, b.id AS target, r.sources AS sources, r._origin AS origin
