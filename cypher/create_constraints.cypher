// Schema, created idempotently at start-up. One uniqueness constraint over every entity id (all kinds share one id
// space), plus the indexes the queries filter on. Statements are separated by ";" and run one by one.
// entity_fulltext: the Lucene full-text index search asks through db.index.fulltext.queryNodes. Its analyser is
// `whitespace`: the terms are made by qgraph.search in Python (NFKC, case folding, words, light stemming, CJK
// bigrams as Lucene's CJKAnalyzer makes them), stored space-separated, so Lucene indexes exactly the terms the
// memory store's inverted index holds and both stores find the same nodes. (`cjk` would bigram but not stem or fold
// organisation words; `standard-no-stop-words` would split CJK into single characters; either would make Neo4j's
// answers differ from the memory store's.) Not eventually consistent: a load's nodes are searchable once it commits.
// entity_search (a text index of the previous version's `search_text`) is dropped. entity_sort: the fixed order of
// search candidates, walked in order for broad words (search_entities.cypher).
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT meta_key IF NOT EXISTS FOR (m:QgraphMeta) REQUIRE m.key IS UNIQUE;
CREATE CONSTRAINT changeset_number IF NOT EXISTS FOR (c:QgraphChangeset) REQUIRE c.number IS UNIQUE;
CREATE CONSTRAINT vocab_seq IF NOT EXISTS FOR (v:QgraphVocab) REQUIRE v.seq IS UNIQUE;
CREATE INDEX entity_kind IF NOT EXISTS FOR (n:Entity) ON (n._kind);
CREATE INDEX agreement_date IF NOT EXISTS FOR (a:Agreement) ON (a.date_from);
CREATE INDEX agreement_kind IF NOT EXISTS FOR (a:Agreement) ON (a.kind);
CREATE RANGE INDEX entity_sort IF NOT EXISTS FOR (n:Entity) ON (n.search_sort);
DROP INDEX entity_search IF EXISTS;
CREATE FULLTEXT INDEX entity_fulltext IF NOT EXISTS FOR (n:Entity)
  ON EACH [n.search_names, n.search_description, n.search_exact]
  OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace', `fulltext.eventually_consistent`: false}}
