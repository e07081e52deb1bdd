// The commit returned (applied, or failed): remove its mark, and any mark whose writer stopped beating.
MATCH (w:QgraphWriting)
WHERE w.id = $id OR w.beat < datetime.realtime().epochMillis - $stale
DELETE w
