// A whole path query in one round trip: up to $k shortest partnership paths between two entities (of the first $cap
// found, the $k first by the ids along them), and every node on them and both ends (an end missing when its id does
// not exist) with the fields of entity_refs.cypher, agreements also with those of find_agreements.cypher.
// The search itself is the fragment _shortest_party_paths.cypher, as in shortest_paths.cypher.
OPTIONAL MATCH (s:Entity {id: $source})
OPTIONAL MATCH (t:Entity {id: $target})
CALL (s, t) {
  WITH s, t WHERE s IS NOT NULL AND t IS NOT NULL AND s <> t AND NOT s:Agreement AND NOT t:Agreement
  {{ shortest_party_paths }}
  WITH p LIMIT $cap
  WITH nodes(p) AS path ORDER BY [n IN path | n.id]
  LIMIT $k
  RETURN collect(path) AS found
}
CALL (s, t, found) {
  UNWIND [[s, t]] + found AS path
  UNWIND path AS n
  WITH DISTINCT n WHERE n IS NOT NULL
  CALL (n) {
    OPTIONAL MATCH (p:Entity)-[:PARTY_TO]->(n) WHERE n:Agreement
    WITH p ORDER BY p.id
    RETURN collect(CASE WHEN p IS NULL THEN null ELSE {{ entity_ref p }} END) AS parties
  }
  OPTIONAL MATCH (n)-[:UNDER]->(f:Framework) WHERE n:Agreement
  RETURN collect({ref: {{ entity_ref n }},
                  props: CASE WHEN n:Agreement THEN properties(n) ELSE null END, parties: parties,
                  framework: CASE WHEN f IS NULL THEN null ELSE {{ entity_ref f }} END}) AS on_paths
}
RETURN [path IN found | [n IN path | n.id]] AS paths, on_paths
