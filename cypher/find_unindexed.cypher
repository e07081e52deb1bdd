// Up to $limit nodes written by an older qgraph, without the search properties of this version (search_sort …):
// Neo4jStore.ensure_schema analyses them in Python and writes them back with set_search_fields.cypher.
MATCH (n:Entity)
WHERE n.search_sort IS NULL
RETURN properties(n) AS props
LIMIT $limit
