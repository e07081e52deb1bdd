// A node that keeps no nation, if any (written by an older qgraph: upgrade_nations.cypher gives them one).
MATCH (n:Entity)
WHERE n._nation IS NULL
RETURN n.id AS id
LIMIT 1
