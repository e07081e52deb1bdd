// Search candidates through the full-text index entity_fulltext (terms made by qgraph.search, Lucene syntax
// escaped there): $exact the hashes of the query's exact keys (blank: none; up to $exact_cap nodes), $terms the query's
// words (blank: none), both restricted to $kinds (every kind for any; both texts padded with spaces and $kinds never
// empty, so that one plan serves every query: Neo4jStore.search_candidates). The word matches come in the fixed order `search_sort`
// (entities before agreements, name, id), the first $cap of them, with their total; qgraph.search ranks them.
// The first $cap: when the words are broad (their hits at least $walk_spread * $cap * the nodes / $walk_max, so that
// $cap of them are expected within the first $walk_max / $walk_spread nodes in order), by walking the range index
// entity_sort in order and keeping the nodes among the hits, at most $walk_max nodes ($long_walk_max for
// $long_walk_hits hits or more, when as broad by that bound); else, or when the walk found fewer than $cap, the hits
// sorted, keeping the first $cap. A broad word ("uni" typed, 30,000 hits at 100k entities)
// no longer costs a sort of all its hits (a read of each hit's sort key).
// $count false (the caller needs no number of hits: autocomplete, the closest names, a resolution): Lucene may stop
// early (see lucene_limit), a walk of at most $term_walk_max nodes then keeping the nodes that $walk matches ($walk:
// the same words as $terms, each a map of the exact terms and the prefix per field, padded with spaces (' term ',
// ' prefix') and found in the node's terms padded alike, which Lucene's whitespace analyser splits at the spaces;
// [] when a word is left to Lucene's fuzzy query, and then Lucene never stops early; $walk_description: a word has
// terms in the description); when that walk finds fewer than $cap, as above over every hit. `total` is then at least
// the candidates returned and at most the true number.
// $any_kind: $kinds is every kind, and no node's kind is read.
// `ref`: a candidate's entity reference (the fragment _entity_ref.cypher), so that the page's names need no second
// query: for the exact matches, and for the word matches when at most $ref_cap of them are returned (each costs its
// node's properties and their shipping; for more, the caller asks entity_refs.cypher for the page alone).
// `vocab_seq` / `vocab_id`: the newest vocabulary chunk, so the caller knows whether the exact alternatives it spelled
// out for typo-tolerant words came from the current vocabulary (it reads the new chunks and asks again otherwise).
CALL {
  OPTIONAL MATCH (v:QgraphVocab)
  WITH v ORDER BY v.seq DESC LIMIT 1
  RETURN v.seq AS vocab_seq, v.id AS vocab_id
}
CALL {
  WITH $exact AS exact
  WITH exact WHERE trim(exact) <> ''
  CALL db.index.fulltext.queryNodes('entity_fulltext', exact) YIELD node
  WHERE $any_kind OR node._kind IN $kinds
  WITH node ORDER BY node.search_sort LIMIT $exact_cap
  RETURN collect({id: node.id, kind: node._kind, sort: node.search_sort, values: node.search_values,
                  ref: {{ entity_ref node }}}) AS exact
}
CALL {
  WITH $terms AS terms, COUNT { MATCH (:Entity) } AS nodes
  WITH terms, ($walk_spread * $cap * nodes + $walk_max - 1) / $walk_max AS broad_hits,
       ($walk_spread * $cap * nodes + $long_walk_max - 1) / $long_walk_max AS long_broad_hits
  // When the hits are not counted ($count false), of any kind, and the walk can match the words itself ($walk not
  // empty), Lucene stops at the hits that make the words broad (at least $lucene_cap, and $cap): past them, a short
  // walk matching each node's terms may find the first $cap (dense words, in names of every letter), and Lucene is
  // asked for every hit only when it does not.
  WITH terms, broad_hits, long_broad_hits, CASE WHEN $count OR NOT $any_kind OR size($walk) = 0 THEN $unbounded
                               ELSE reduce(most = $cap, x IN [$lucene_cap, broad_hits] |
                                           CASE WHEN x > most THEN x ELSE most END) END AS lucene_limit
  CALL (terms, lucene_limit) {
    WITH terms, lucene_limit WHERE trim(terms) <> ''
    CALL db.index.fulltext.queryNodes('entity_fulltext', terms, {limit: lucene_limit}) YIELD node
    WHERE $any_kind OR node._kind IN $kinds
    RETURN collect(node) AS stopped
  }
  WITH terms, broad_hits, long_broad_hits, stopped, size(stopped) >= lucene_limit AS limited
  CALL (limited) {
    // Lucene stopped (only for a search of any kind): at most $term_walk_max nodes in order, those that hold the
    // words ($walk: in "all" mode each word, else one; terms padded with spaces, as the node's are here, so that a
    // term is found whole and a prefix at a term's start; the description read only when a word has terms in it).
    WITH CASE WHEN limited THEN '' END AS lowest
    MATCH (n:Entity) WHERE n.search_sort >= lowest
    WITH n ORDER BY n.search_sort LIMIT $term_walk_max
    WITH n, ' ' + n.search_names + ' ' AS names,
         CASE WHEN $walk_description THEN ' ' + n.search_description + ' ' END AS description
    WHERE size([w IN $walk WHERE names CONTAINS w.names_prefix OR any(t IN w.names WHERE names CONTAINS t)
                OR description CONTAINS w.description_prefix OR any(t IN w.description WHERE description CONTAINS t)])
          >= CASE WHEN $walk_all THEN size($walk) ELSE 1 END
    WITH n ORDER BY n.search_sort LIMIT $cap
    RETURN collect(n) AS dense
  }
  WITH terms, broad_hits, long_broad_hits, stopped, dense, limited AND size(dense) = $cap AS done,
       limited AND size(dense) < $cap AS short
  // The short walk fell short (the hits are fewer, or clustered in the order: a prefix of names): every hit.
  CALL (terms, short) {
    WITH terms WHERE short
    CALL db.index.fulltext.queryNodes('entity_fulltext', terms) YIELD node
    RETURN collect(node) AS every
  }
  WITH CASE WHEN short THEN every ELSE stopped END AS hits, broad_hits, long_broad_hits, dense, done
  // Many hits ($long_walk_hits or more, enough that a walk of $long_walk_max nodes costs no more than their sort) are
  // walked further: hits clustered in the order (a name's first word, "international" typed) are reached.
  WITH hits, dense, done, broad_hits,
       NOT done AND size(hits) >= $long_walk_hits AND size(hits) >= long_broad_hits AS long
  WITH hits, dense, done, long, NOT done AND NOT long AND size(hits) >= broad_hits AS broad
  CALL (hits, broad) {
    // The lower bound is null (no node) unless the words are broad: a filter on `broad` alone is planned after the seek.
    WITH CASE WHEN broad THEN '' END AS lowest
    MATCH (n:Entity) WHERE n.search_sort >= lowest
    WITH n ORDER BY n.search_sort LIMIT $walk_max
    // A node is one of the hits (Neo4j checks a list that every row shares as a set, built once: 0.2 µs a hit, then
    // 0.5 µs a node at 100k).
    WITH n WHERE n IN hits
    WITH n ORDER BY n.search_sort LIMIT $cap
    RETURN collect(n) AS walked_near
  }
  // The same walk, longer: a second copy because LIMIT cannot read a variable (at most one of the two walks).
  CALL (hits, long) {
    WITH CASE WHEN long THEN '' END AS lowest
    MATCH (n:Entity) WHERE n.search_sort >= lowest
    WITH n ORDER BY n.search_sort LIMIT $long_walk_max
    WITH n WHERE n IN hits
    WITH n ORDER BY n.search_sort LIMIT $cap
    RETURN collect(n) AS walked_far
  }
  WITH hits, dense, done, walked_near + walked_far AS walked
  CALL (hits, walked, done) {
    UNWIND CASE WHEN size(walked) < $cap AND NOT done THEN hits ELSE [] END AS n
    WITH n ORDER BY n.search_sort LIMIT $cap
    RETURN collect(n) AS sorted
  }
  WITH hits, CASE WHEN done THEN dense WHEN size(walked) = $cap THEN walked ELSE sorted END AS first
  CALL (hits, first) {
    UNWIND CASE WHEN size(first) <= $ref_cap THEN first ELSE [] END AS n
    RETURN collect({id: n.id, kind: n._kind, sort: n.search_sort, values: n.search_values,
                    ref: {{ entity_ref n }}}) AS with_refs
  }
  CALL (hits, first) {
    UNWIND CASE WHEN size(first) > $ref_cap THEN first ELSE [] END AS n
    RETURN collect({id: n.id, kind: n._kind, sort: n.search_sort, values: n.search_values}) AS without_refs
  }
  RETURN size(hits) AS total, with_refs + without_refs AS page
}
RETURN exact, total, page, vocab_seq, vocab_id
