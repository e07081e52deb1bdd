// Upsert a batch of edges of one type. $rows: [{source, target, sources, origin}] (origin: the dataset, or null). Both ends must exist: the caller checks
// that `written` equals the number of rows and rolls the transaction back otherwise.
UNWIND $rows AS row
MATCH (a:Entity {id: row.source})
MATCH (b:Entity {id: row.target})
MERGE (a)-[r:{rel_type}]->(b)
SET r.sources = row.sources, r._origin = row.origin
RETURN count(r) AS written
