MATCH (m:QgraphMeta {key: 'dataset'})
RETURN properties(m) AS meta
