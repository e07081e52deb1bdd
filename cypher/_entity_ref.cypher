// Fragment (included as {{ entity_ref x }}, with {of} standing for the variable x): the entity reference of a node as
// a map with the fields of qgraph.results.EntityRef. A nation's nation is itself; any other node's is the smallest id
// of the nations it is LOCATED_IN (null when none); external is false unless the record says true. Writers keep that
// nation on the node (`_nation`, '' for none: set_nations.cypher); a node written by an older version has none, and
// its nation is read from its edges.
{id: {of}.id, kind: {of}._kind, name: {of}.name, name_ja: {of}.name_ja, external: coalesce({of}.external, false),
 nation: CASE WHEN {of}._nation IS NOT NULL THEN CASE {of}._nation WHEN '' THEN null ELSE {of}._nation END
         WHEN {of}._kind = 'Nation' THEN {of}.id
         ELSE head(COLLECT { MATCH ({of})-[:LOCATED_IN]->(located_in_:Nation) RETURN located_in_.id ORDER BY located_in_.id LIMIT 1 }) END}
