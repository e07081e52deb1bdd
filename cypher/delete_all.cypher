// Remove every qgraph node and edge, the metadata and the history, in batches so a large graph does not need one
// huge transaction (Store.wipe: starting over; a recorded clear is a commit instead).
MATCH (n)
WHERE n:Entity OR n:QgraphMeta OR n:QgraphChangeset OR n:QgraphReview OR n:QgraphWriting OR n:QgraphVocab
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
