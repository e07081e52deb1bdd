// Remove every qgraph node and edge, in batches so a large graph does not need one huge transaction.
MATCH (n)
WHERE n:Entity OR n:QgraphMeta OR n:QgraphReview
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
