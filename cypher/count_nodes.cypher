MATCH (n:Entity)
RETURN n._kind AS kind, count(*) AS n
