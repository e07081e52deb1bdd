// Every shortest partnership path between two entities: entity -PARTY_TO-> agreement <-PARTY_TO- entity, repeated,
// over agreements passing the filter. PARTY_TO always joins a party to an agreement, so an undirected PARTY_TO path
// from an entity alternates entity, agreement, entity … by itself.
// allShortestPaths is Neo4j's bidirectional breadth-first search; the node predicate is written as all(n IN nodes(p))
// so that it is checked during the search (no exhaustive fallback is planned), and the hop bound is applied after the
// search, in its own clause. The pattern's bound is the hard limit of 8 agreements (16 relationships; Cypher takes
// no parameter there); $max_hops narrows it, and $cap bounds the number of paths returned.
// (At 100k entities / 1M PARTY_TO edges this is 3–10x faster than the equivalent ALL SHORTEST quantified path
// pattern, and its worst case 20x lower: benchmarks/RESULTS.md.)
MATCH (s:Entity {id: $source}), (t:Entity {id: $target})
WHERE NOT s:Agreement AND NOT t:Agreement
MATCH p = allShortestPaths((s)-[:PARTY_TO*..16]-(t))
WHERE all(n IN nodes(p) WHERE NOT n:Agreement OR (
        ($kinds IS NULL OR n.kind IN $kinds)
        AND ($domains IS NULL OR any(d IN coalesce(n.domains, []) WHERE d IN $domains))
        AND ($since IS NULL OR n.date_to >= $since)
        AND ($until IS NULL OR n.date_from <= $until)))
WITH p WHERE length(p) <= 2 * $max_hops
RETURN [n IN nodes(p) | n.id] AS ids
LIMIT $cap
