// The facts (as Changeset.facts spells them: node:<id>, edge:<type>:<source>:<target>) that the changesets up to
// $until of datasets other than $dataset touched, summaries excluded (Store._merge_others). A changeset recorded
// before its dataset and summary flag were properties (dataset null) comes with its body, which says them.
MATCH (c:QgraphChangeset)
WHERE c.number <= $until AND coalesce(c.summary, false) = false AND (c.dataset IS NULL OR c.dataset <> $dataset)
RETURN c.dataset AS dataset, c.facts AS facts, CASE WHEN c.dataset IS NULL THEN c.body END AS body
