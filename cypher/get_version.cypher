// The number of changesets and the data version: a pinned read checks them after each query.
MATCH (m:QgraphMeta {key: 'dataset'})
RETURN m.changesets AS changesets, m.data_version AS data_version, m._lock AS lock
