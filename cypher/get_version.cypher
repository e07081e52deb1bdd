// How many commits are being applied right now (live marks of mark_commit, counted first), then the number of
// changesets and the data version: a pinned read checks them after each query.
CALL () {
  RETURN COUNT { MATCH (w:QgraphWriting) WHERE w.beat >= datetime.realtime().epochMillis - $stale } AS writing
}
OPTIONAL MATCH (m:QgraphMeta {key: 'dataset'})
RETURN m.changesets AS changesets, m.data_version AS data_version, m._lock AS lock, writing
