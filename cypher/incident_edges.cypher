// Every edge with an end among $ids, once each, with the dataset that wrote it.
UNWIND $ids AS id
MATCH (n:Entity {id: id})-[r]-(:Entity)
WITH DISTINCT r
RETURN type(r) AS type, startNode(r).id AS source, endNode(r).id AS target, r.sources AS sources,
       r._origin AS origin
