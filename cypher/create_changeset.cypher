// Record one changeset, in the transaction of the change it describes. `body` is the changeset as JSON (with its
// diff); the number, time and data versions also as properties (points are found without reading bodies); `facts`
// the ids of the facts it touched, `dataset` and `summary` as in the body (Store._merge_others reads them without
// the bodies). The label is not :Entity, so no query, search, count or export sees it.
CREATE (c:QgraphChangeset {number: $number, id: $id, time: $time, data_version_before: $data_version_before,
                           data_version: $data_version, body: $body, facts: $facts,
                           dataset: $dataset, summary: $summary})
