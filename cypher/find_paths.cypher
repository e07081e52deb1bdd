// A whole path query in one round trip: up to $k shortest partnership paths between two entities (of the first $cap
// found, the $k first by the ids along them), and every node on them and both ends (an end missing when its id does
// not exist) with the fields of entity_refs.cypher, agreements also with those of find_agreements.cypher.
// The search itself is shortest_paths.cypher's (see there why two branches, why allShortestPaths, and why the
// predicate is written as all(n IN nodes(p) …) with the hop bound in a later clause).
OPTIONAL MATCH (s:Entity {id: $source})
OPTIONAL MATCH (t:Entity {id: $target})
CALL (s, t) {
  WITH s, t WHERE s IS NOT NULL AND t IS NOT NULL AND s <> t AND NOT s:Agreement AND NOT t:Agreement
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
  WITH p LIMIT $cap
  WITH nodes(p) AS path ORDER BY [n IN path | n.id]
  LIMIT $k
  RETURN collect(path) AS found
}
CALL (s, t, found) {
  UNWIND [[s, t]] + found AS path
  UNWIND path AS n
  WITH DISTINCT n WHERE n IS NOT NULL
  OPTIONAL MATCH (n)-[:LOCATED_IN]->(c:Nation)
  WITH n, min(c.id) AS located
  CALL (n) {
    OPTIONAL MATCH (p:Entity)-[:PARTY_TO]->(n) WHERE n:Agreement
    OPTIONAL MATCH (p)-[:LOCATED_IN]->(pc:Nation)
    WITH p, min(pc.id) AS party_located
    ORDER BY p.id
    RETURN collect(CASE WHEN p IS NULL THEN null ELSE
             {id: p.id, kind: p._kind, name: p.name, name_ja: p.name_ja, external: coalesce(p.external, false),
              nation: CASE p._kind WHEN 'Nation' THEN p.id ELSE party_located END} END) AS parties
  }
  OPTIONAL MATCH (n)-[:UNDER]->(f:Framework) WHERE n:Agreement
  RETURN collect({ref: {id: n.id, kind: n._kind, name: n.name, name_ja: n.name_ja, external: coalesce(n.external, false),
                        nation: CASE n._kind WHEN 'Nation' THEN n.id ELSE located END},
                  props: CASE WHEN n:Agreement THEN properties(n) ELSE null END, parties: parties,
                  framework: CASE WHEN f IS NULL THEN null ELSE
                               {id: f.id, kind: f._kind, name: f.name, name_ja: f.name_ja, external: coalesce(f.external, false)} END}) AS on_paths
}
RETURN [path IN found | [n IN path | n.id]] AS paths, on_paths
