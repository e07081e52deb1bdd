// count_clause_hits.cypher for nodes of $kinds only: the filter runs before the count stops at $limit, so the count
// stays exact (Lucene hands over every hit of the word; a kind filter is rare in a search).
UNWIND range(0, size($words) - 1) AS i
CALL (i) {
  CALL db.index.fulltext.queryNodes('entity_fulltext', $words[i]) YIELD node
  WITH node WHERE node._kind IN $kinds
  WITH node LIMIT $limit
  RETURN count(node) AS hits
}
RETURN i, hits
