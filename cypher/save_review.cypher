// Keep one review of ingested candidates (its YAML and the documents' texts, as JSON) in the database, so that every
// API replica sees it: the API keeps no state of its own.
MERGE (r:QgraphReview {id: $id})
SET r.body = $body, r.updated = $updated
