// How many vocabulary chunks there are (a writer compacts them into one past a limit).
MATCH (v:QgraphVocab)
RETURN count(v) AS chunks
