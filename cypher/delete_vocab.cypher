// Remove every vocabulary chunk (a writer compacting them writes their union back in the same transaction).
MATCH (v:QgraphVocab)
DELETE v
