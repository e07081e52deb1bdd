// The edges with these keys that exist. $keys: [{type, source, target}]. With the dataset that wrote each.
UNWIND $keys AS k
MATCH (a:Entity {id: k.source})-[r]->(b:Entity {id: k.target})
WHERE type(r) = k.type
RETURN type(r) AS type, a.id AS source, b.id AS target, r.sources AS sources, r._origin AS origin
