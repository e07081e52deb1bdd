// Every shortest partnership path between two entities: entity -PARTY_TO-> agreement <-PARTY_TO- entity, repeated,
// over agreements passing the filter. The quantifier's bound is the hard limit of 8 agreements (Cypher takes no
// parameter there); $max_hops narrows it, and $cap bounds the number of paths returned.
MATCH (s:Entity {id: $source}), (t:Entity {id: $target})
MATCH p = ALL SHORTEST (s) (()-[:PARTY_TO]->(a:Agreement)<-[:PARTY_TO]-()
            WHERE ($kinds IS NULL OR a.kind IN $kinds)
              AND ($domains IS NULL OR any(d IN coalesce(a.domains, []) WHERE d IN $domains))
              AND ($since IS NULL OR a.date_to >= $since)
              AND ($until IS NULL OR a.date_from <= $until)
          ){1,8} (t)
WHERE length(p) <= 2 * $max_hops
RETURN [n IN nodes(p) | n.id] AS ids
LIMIT $cap
