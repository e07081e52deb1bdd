// Entities one of whose normalised search keys contains $key; score 3 exact, 2 prefix, 1 substring.
// Ordered best first, then by name and id, as the memory store orders them.
MATCH (n:Entity)
WHERE ($kinds IS NULL OR n._kind IN $kinds)
  AND any(k IN n.search_keys WHERE k CONTAINS $key)
WITH n, CASE
          WHEN $key IN n.search_keys THEN 3
          WHEN any(k IN n.search_keys WHERE k STARTS WITH $key) THEN 2
          ELSE 1
        END AS score
ORDER BY score DESC, n.name, n.id
WITH collect({props: properties(n), score: score}) AS hits
RETURN size(hits) AS total, hits[$offset..($offset + $limit)] AS page
