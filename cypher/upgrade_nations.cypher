// Up to $limit nodes written by an older qgraph, which keep no nation (set_nations.cypher), get it. Run after
// lock_meta.cypher in the same transaction, so that no write moves a nation meanwhile.
MATCH (n:Entity)
WHERE n._nation IS NULL
WITH n LIMIT $limit
SET n._nation = {{ kept_nation n }}
RETURN count(n) AS written
