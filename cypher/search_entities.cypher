// Entities one of whose normalised search keys contains $key; score 3 exact, 2 prefix, 1 substring.
// Ordered best first, then by name and id, as the memory store orders them.
// `search_text` is the node's keys joined by a newline, which neither a key nor $key (both normalised) contains, so
// "search_text CONTAINS $key" is exactly "some key contains $key" — and the text index `entity_search` answers it.
MATCH (n:Entity)
WHERE n.search_text CONTAINS $key
  AND ($kinds IS NULL OR n._kind IN $kinds)
WITH n, split(n.search_text, '\n') AS keys
WITH n, CASE
          WHEN $key IN keys THEN 3
          WHEN any(k IN keys WHERE k STARTS WITH $key) THEN 2
          ELSE 1
        END AS score
ORDER BY score DESC, n.name, n.id
WITH collect({n: n, score: score}) AS hits
RETURN size(hits) AS total, [h IN hits[$offset..($offset + $limit)] | {props: properties(h.n), score: h.score}] AS page
