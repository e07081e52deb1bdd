// The metadata, and how many commits are being applied right now (live marks of mark_commit, counted first): a
// pinned read begins here and waits while a commit is being applied.
CALL () {
  RETURN COUNT { MATCH (w:QgraphWriting) WHERE w.beat >= datetime.realtime().epochMillis - $stale } AS writing
}
OPTIONAL MATCH (m:QgraphMeta {key: 'dataset'})
RETURN properties(m) AS meta, writing
