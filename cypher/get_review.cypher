// One stored review of ingested candidates, by id.
MATCH (r:QgraphReview {id: $id})
RETURN r.body AS body
