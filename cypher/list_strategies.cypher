// Every strategy with the nation or institution that adopted it.
MATCH (s:Strategy)
OPTIONAL MATCH (by:Entity)-[:ADOPTED]->(s)
OPTIONAL MATCH (by)-[:LOCATED_IN]->(c:Nation)
WITH s, by, min(c.id) AS located
RETURN properties(s) AS props,
       CASE WHEN by IS NULL THEN null
            ELSE {id: by.id, kind: by._kind, name: by.name, name_ja: by.name_ja, external: coalesce(by.external, false),
                  nation: CASE by._kind WHEN 'Nation' THEN by.id ELSE located END} END AS adopter
ORDER BY s.id
