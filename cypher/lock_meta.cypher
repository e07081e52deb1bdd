// The writer lock: the first statement of every write transaction. Setting a property of the one metadata node takes
// its write lock, which Neo4j holds until the transaction ends, so writers (from any process or API replica) run one
// after the other; the metadata returned is then the one the previous writer committed.
MERGE (m:QgraphMeta {key: 'dataset'})
SET m._lock = coalesce(m._lock, 0) + 1
RETURN properties(m) AS meta
