// Every strategy with the nation or institution that adopted it.
MATCH (s:Strategy)
OPTIONAL MATCH (by:Entity)-[:ADOPTED]->(s)
RETURN properties(s) AS props, CASE WHEN by IS NULL THEN null ELSE {{ entity_ref by }} END AS adopter
ORDER BY s.id
