// An entity's degree and its first $limit edges (by type, then the other end's id), with the other end named.
MATCH (n:Entity {id: $id})-[r]-(o:Entity)
OPTIONAL MATCH (o)-[:LOCATED_IN]->(c:Nation)
WITH n, r, o, min(c.id) AS located
ORDER BY type(r), o.id
WITH collect({type: type(r), out: startNode(r) = n, sources: r.sources,
              other: {id: o.id, kind: o._kind, name: o.name, name_ja: o.name_ja, external: coalesce(o.external, false),
                      nation: CASE o._kind WHEN 'Nation' THEN o.id ELSE located END}}) AS rels
RETURN size(rels) AS degree, rels[0..$limit] AS page
