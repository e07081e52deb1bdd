// A commit in progress (the writer's own small transaction, committed before its data transaction commits, and
// refreshed every COMMIT_BEAT seconds until that commit returns). Neo4j applies a commit to the store record by
// record and reads are read-committed, so a reader may see part of a commit; a pinned read that sees a live mark
// (beat within $stale ms, by the server's clock) before or after a query answers again (Neo4jStore.pinned). Marks of
// a writer that died stop beating and are ignored, then removed by the next writer.
MERGE (w:QgraphWriting {id: $id})
SET w.beat = datetime.realtime().epochMillis
