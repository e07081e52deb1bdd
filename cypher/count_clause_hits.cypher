// How broad each query word is: for each Lucene query in $words (one word of a plan, made by qgraph.search), the
// number of nodes it matches, counted up to $limit. Lucene keeps its best $limit hits (the `limit` option), so a
// common word's hits never all reach Cypher. (With a kind filter: count_kind_clause_hits.cypher.)
UNWIND range(0, size($words) - 1) AS i
CALL (i) {
  CALL db.index.fulltext.queryNodes('entity_fulltext', $words[i], {limit: $limit}) YIELD node
  RETURN count(node) AS hits
}
RETURN i, hits
