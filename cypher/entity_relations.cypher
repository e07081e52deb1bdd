// An entity's degree and its first $limit edges (by type, then the other end's id), with the other end named.
MATCH (n:Entity {id: $id})-[r]-(o:Entity)
WITH n, r, o
ORDER BY type(r), o.id
WITH collect({type: type(r), out: startNode(r) = n, sources: r.sources, other: {{ entity_ref o }}}) AS rels
RETURN size(rels) AS degree, rels[0..$limit] AS page
