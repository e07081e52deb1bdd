// Name, kind and nation of each id (the fragment _entity_ref.cypher).
MATCH (n:Entity)
WHERE n.id IN $ids
RETURN {{ entity_ref n }} AS ref
