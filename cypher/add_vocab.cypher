// Record the terms a write's nodes hold that a typo-tolerant query word can reach (qgraph.search.fuzzy_term), one
// chunk per write, in the write's own transaction: $seq (the changeset number), $id (the chunk's own id, so a reader
// tells a rebuilt database from the one it read), $names and $description (terms of each search field). Readers keep
// the union of the chunks (Neo4jStore._vocabulary) and spell a fuzzy word out as the exact terms within its edits.
CREATE (:QgraphVocab {seq: $seq, id: $id, names: $names, description: $description})
