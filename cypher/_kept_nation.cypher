// Fragment (included as {{ kept_nation x }}): the nation kept on node x (`_nation`): its own id for a nation, else the
// smallest id of the nations it is LOCATED_IN, '' when none.
CASE {of}._kind WHEN 'Nation' THEN {of}.id
ELSE coalesce(head(COLLECT { MATCH ({of})-[:LOCATED_IN]->(located_in_:Nation)
                             RETURN located_in_.id ORDER BY located_in_.id LIMIT 1 }), '') END
