// The changesets up to $until that touched any of $facts (ids as Changeset.facts spells them), in number order.
MATCH (c:QgraphChangeset)
WHERE c.number <= $until AND any(f IN c.facts WHERE f IN $facts)
RETURN c.body AS body
ORDER BY c.number
