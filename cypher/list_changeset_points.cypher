// Number, time and data versions of the changesets up to $until (the last number the reader's version sees).
MATCH (c:QgraphChangeset)
WHERE c.number <= $until
RETURN c.number AS number, c.time AS time, c.data_version_before AS data_version_before,
       c.data_version AS data_version
ORDER BY c.number
