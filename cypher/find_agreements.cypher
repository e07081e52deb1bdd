// Agreements passing the filter (see AgreementFilter in qgraph/store.py: a null parameter means "any"), ordered by
// date then id (undated last), one page of them with their parties (and each party's nation) and framework.
// Where the candidates come from: the party's own agreements when $party is given, the listed ids when $ids is,
// every agreement otherwise (exactly one branch runs; the filter below still checks every condition).
// Each row also names the party itself (null when $party is null or no such entity exists), so that a caller
// checking the party exists needs no second round trip.
CALL () {
  WITH 1 AS one WHERE $party IS NOT NULL
  MATCH (:Entity {id: $party})-[:PARTY_TO]->(a:Agreement)
  RETURN a
  UNION ALL
  WITH 1 AS one WHERE $party IS NULL AND $ids IS NOT NULL
  UNWIND $ids AS id
  MATCH (a:Entity {id: id}) WHERE a:Agreement
  RETURN a
  UNION ALL
  WITH 1 AS one WHERE $party IS NULL AND $ids IS NULL
  MATCH (a:Agreement)
  RETURN a
}
WITH a
WHERE ($ids IS NULL OR a.id IN $ids)
  AND ($party IS NULL OR EXISTS { (:Entity {id: $party})-[:PARTY_TO]->(a) })
  AND ($kinds IS NULL OR a.kind IN $kinds)
  AND ($domains IS NULL OR any(d IN coalesce(a.domains, []) WHERE d IN $domains))
  AND ($since IS NULL OR a.date_to >= $since)
  AND ($until IS NULL OR a.date_from <= $until)
  AND ($framework IS NULL OR EXISTS { (a)-[:UNDER]->(:Framework {id: $framework}) })
  AND ($nation IS NULL OR EXISTS {
        MATCH (p:Entity)-[:PARTY_TO]->(a)
        WHERE p.id = $nation OR EXISTS { (p)-[:LOCATED_IN]->(:Nation {id: $nation}) } })
WITH a ORDER BY a.date_from, a.id
WITH collect(a) AS matched
OPTIONAL MATCH (me:Entity {id: $party})
WITH matched, CASE WHEN me IS NULL THEN null ELSE {{ entity_ref me }} END AS party,
     matched[$offset..($offset + $limit)] AS page
// An empty page still gives one row, which carries the total and the party.
UNWIND (CASE WHEN size(page) = 0 THEN [null] ELSE page END) AS a
CALL (a) {
  OPTIONAL MATCH (p:Entity)-[:PARTY_TO]->(a)
  WITH p ORDER BY p.id
  RETURN collect(CASE WHEN p IS NULL THEN null ELSE {{ entity_ref p }} END) AS parties
}
OPTIONAL MATCH (a)-[:UNDER]->(f:Framework)
RETURN size(matched) AS total, properties(a) AS props, parties,
       CASE WHEN f IS NULL THEN null ELSE {{ entity_ref f }} END AS framework, party
