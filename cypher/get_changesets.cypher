// The changesets numbered $after + 1 … $until, in number order (the caller passes the last number its version sees).
MATCH (c:QgraphChangeset)
WHERE c.number > $after AND c.number <= $until
RETURN c.body AS body
ORDER BY c.number
