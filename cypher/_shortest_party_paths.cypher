// Fragment (included by shortest_paths.cypher and find_paths.cypher as {{ shortest_party_paths }}): every shortest
// partnership path p between bound entities s and t, entity -PARTY_TO-> agreement <-PARTY_TO- entity, repeated, over
// agreements passing the filter ($kinds, $domains, $since, $until), with at most $max_hops agreements.
// PARTY_TO always joins a party to an agreement, so an undirected PARTY_TO path from an entity alternates entity,
// agreement, entity … by itself.
// allShortestPaths is Neo4j's bidirectional breadth-first search. Two branches, exactly one of which runs:
// - no agreement filter: the bare search (a path predicate, even one that is always true, doubles its cost);
// - a filter: the node predicate is written as all(n IN nodes(p) …) so that it is checked during the search (no
//   exhaustive fallback is planned; a predicate like "$kinds IS NULL OR all(…)" would plan one).
// The pattern's bound is the hard limit of 8 agreements (16 relationships; Cypher takes no parameter there); the hop
// bound $max_hops is applied after the search, in its own clause.
// (At 100k entities / 1M PARTY_TO edges this is several times faster than the equivalent ALL SHORTEST quantified
// path pattern, and its worst case 20x lower: benchmarks/RESULTS.md.)
CALL (s, t) {
  WITH s, t WHERE $kinds IS NULL AND $domains IS NULL AND $since IS NULL AND $until IS NULL
  MATCH p = allShortestPaths((s)-[:PARTY_TO*..16]-(t))
  RETURN p
  UNION ALL
  WITH s, t WHERE $kinds IS NOT NULL OR $domains IS NOT NULL OR $since IS NOT NULL OR $until IS NOT NULL
  MATCH p = allShortestPaths((s)-[:PARTY_TO*..16]-(t))
  WHERE all(n IN nodes(p) WHERE NOT n:Agreement OR (
          ($kinds IS NULL OR n.kind IN $kinds)
          AND ($domains IS NULL OR any(d IN coalesce(n.domains, []) WHERE d IN $domains))
          AND ($since IS NULL OR n.date_to >= $since)
          AND ($until IS NULL OR n.date_from <= $until)))
  RETURN p
}
WITH p WHERE length(p) <= 2 * $max_hops
