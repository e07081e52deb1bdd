// Every node of a dataset ($dataset null: every node). Nodes without `_origin` belong to $default_dataset.
MATCH (n:Entity)
WHERE $dataset IS NULL OR coalesce(n._origin, $default_dataset) = $dataset
RETURN properties(n) AS props
