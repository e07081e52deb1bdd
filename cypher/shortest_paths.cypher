// Every shortest partnership path between two entities (at most $cap of them), as the ids along it; the search is
// the fragment _shortest_party_paths.cypher (see there why two branches, why allShortestPaths, and the bounds).
MATCH (s:Entity {id: $source}), (t:Entity {id: $target})
WHERE NOT s:Agreement AND NOT t:Agreement
{{ shortest_party_paths }}
RETURN [n IN nodes(p) | n.id] AS ids
LIMIT $cap
