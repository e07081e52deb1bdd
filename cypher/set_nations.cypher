// Keep the nation of each node of $rows (ids) on the node itself (the fragment _kept_nation.cypher), after a write put
// the node (which replaces its properties) or added or removed one of its LOCATED_IN edges. The entity reference
// (_entity_ref.cypher) reads it instead of walking the node's edges, so that a reference costs the node's properties
// alone (search candidates carry theirs in the same round trip). Ids of nodes that no longer exist are skipped.
UNWIND $rows AS id
MATCH (n:Entity {id: id})
SET n._nation = {{ kept_nation n }}
RETURN count(n) AS written
