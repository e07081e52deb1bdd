// Write the search properties of existing nodes ($rows: [{id, fields}]) and drop the previous version's ones.
UNWIND $rows AS row
MATCH (n:Entity {id: row.id})
SET n += row.fields
REMOVE n.search_text, n.search_keys
RETURN count(n) AS written
