// Remove a batch of edges of one type. $rows: [{source, target}].
UNWIND $rows AS row
MATCH (:Entity {id: row.source})-[r:{rel_type}]->(:Entity {id: row.target})
DELETE r
