// Name, kind and nation of each id. A nation's nation is itself; others have theirs through LOCATED_IN.
MATCH (n:Entity)
WHERE n.id IN $ids
OPTIONAL MATCH (n)-[:LOCATED_IN]->(c:Nation)
WITH n, min(c.id) AS located
RETURN n.id AS id, n._kind AS kind, n.name AS name, n.name_ja AS name_ja, coalesce(n.external, false) AS external,
       CASE n._kind WHEN 'Nation' THEN n.id ELSE located END AS nation
