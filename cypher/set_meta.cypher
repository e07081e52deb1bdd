// Record what the last load wrote (data version, time, documents) in one metadata node.
MERGE (m:QgraphMeta {key: 'dataset'})
SET m += $meta
