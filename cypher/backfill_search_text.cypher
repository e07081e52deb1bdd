// Nodes written before `search_text` existed kept their search keys as a list `search_keys`: join them into
// `search_text` (a newline between keys; no normalised key contains one), which search and its text index use, and
// drop the list. A no-op once every node has it.
MATCH (n:Entity)
WHERE n.search_text IS NULL AND n.search_keys IS NOT NULL
SET n.search_text = reduce(s = head(n.search_keys), k IN tail(n.search_keys) | s + '\n' + k)
REMOVE n.search_keys
