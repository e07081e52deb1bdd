// Search candidates through the full-text index entity_fulltext (terms made by qgraph.search, Lucene syntax
// escaped there): $exact the hashes of the query's exact keys (null: none; up to $exact_cap nodes), $terms the query's words
// (null: none), both restricted to $kinds (null: any). The word matches come in the fixed order `search_sort`
// (entities before agreements, name, id), the first $cap of them, with their total; qgraph.search ranks them.
// `ref`: a candidate's entity reference (the fragment _entity_ref.cypher), so that the page's names need no second
// query: for the exact matches, and for the word matches when there are at most $ref_cap of them (each costs a lookup
// of its nation; for more, the caller asks entity_refs.cypher for the page alone).
// `vocab_seq` / `vocab_id`: the newest vocabulary chunk, so the caller knows whether the exact alternatives it spelled
// out for typo-tolerant words came from the current vocabulary (it reads the new chunks and asks again otherwise).
CALL {
  OPTIONAL MATCH (v:QgraphVocab)
  WITH v ORDER BY v.seq DESC LIMIT 1
  RETURN v.seq AS vocab_seq, v.id AS vocab_id
}
CALL {
  WITH $exact AS exact
  WITH exact WHERE exact IS NOT NULL
  CALL db.index.fulltext.queryNodes('entity_fulltext', exact) YIELD node
  WHERE $kinds IS NULL OR node._kind IN $kinds
  WITH node ORDER BY node.search_sort LIMIT $exact_cap
  RETURN collect({id: node.id, kind: node._kind, sort: node.search_sort, values: node.search_values,
                  ref: {{ entity_ref node }}}) AS exact
}
CALL {
  WITH $terms AS terms
  WITH terms WHERE terms IS NOT NULL
  CALL db.index.fulltext.queryNodes('entity_fulltext', terms) YIELD node
  WHERE $kinds IS NULL OR node._kind IN $kinds
  WITH node ORDER BY node.search_sort
  WITH collect(node) AS hits
  CALL (hits) {
    UNWIND CASE WHEN size(hits) <= $ref_cap THEN hits[..$cap] ELSE [] END AS n
    RETURN collect({id: n.id, kind: n._kind, sort: n.search_sort, values: n.search_values,
                    ref: {{ entity_ref n }}}) AS with_refs
  }
  CALL (hits) {
    UNWIND CASE WHEN size(hits) > $ref_cap THEN hits[..$cap] ELSE [] END AS n
    RETURN collect({id: n.id, kind: n._kind, sort: n.search_sort, values: n.search_values}) AS without_refs
  }
  RETURN size(hits) AS total, with_refs + without_refs AS page
}
RETURN exact, total, page, vocab_seq, vocab_id
