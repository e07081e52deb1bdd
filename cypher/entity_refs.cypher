// Name, kind and nation of each id (the fragment _entity_ref.cypher), as one list: one row, not one record per id (the
// driver's cost per record is far above the server's per row: benchmarks/RESULTS.md).
MATCH (n:Entity)
WHERE n.id IN $ids
RETURN collect({{ entity_ref n }}) AS refs
