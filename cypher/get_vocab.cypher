// The vocabulary chunks a reader lacks: those after chunk $after (whose id is $id) while that chunk is still there,
// else every chunk (the database was wiped, or its chunks compacted: the reader starts over). `kept` says which; one
// row with a null `seq` when there is no such chunk.
OPTIONAL MATCH (k:QgraphVocab {seq: $after, id: $id})
WITH k IS NOT NULL AS kept
OPTIONAL MATCH (v:QgraphVocab)
WHERE NOT kept OR v.seq > $after
RETURN kept, v.seq AS seq, v.id AS id, v.names AS names, v.description AS description
ORDER BY seq
