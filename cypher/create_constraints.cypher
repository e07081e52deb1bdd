// Schema, created idempotently at start-up. One uniqueness constraint over every entity id (all kinds share one id
// space), plus the indexes the queries filter on. Statements are separated by ";" and run one by one.
// entity_search: a text (trigram) index on the joined search keys, so that search's CONTAINS uses the index instead
// of scanning every node.
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT meta_key IF NOT EXISTS FOR (m:QgraphMeta) REQUIRE m.key IS UNIQUE;
CREATE CONSTRAINT changeset_number IF NOT EXISTS FOR (c:QgraphChangeset) REQUIRE c.number IS UNIQUE;
CREATE INDEX entity_kind IF NOT EXISTS FOR (n:Entity) ON (n._kind);
CREATE INDEX agreement_date IF NOT EXISTS FOR (a:Agreement) ON (a.date_from);
CREATE INDEX agreement_kind IF NOT EXISTS FOR (a:Agreement) ON (a.kind);
CREATE TEXT INDEX entity_search IF NOT EXISTS FOR (n:Entity) ON (n.search_text)
