// Upsert a batch of nodes of one kind. $rows: [{id, props}], props already flat (sources as a JSON string,
// the search_* fields made by qgraph.search.index_entry).
// Every node carries `_kind` (its label, for counting and shaping) beside `kind` where a record has one (an
// agreement's kind: mou, moc …).
// SET n = props replaces every property, so a reload leaves no stale field behind.
UNWIND $rows AS row
MERGE (n:Entity {id: row.id})
SET n = row.props, n.id = row.id, n._kind = $kind
SET n:{label}
RETURN count(n) AS written
