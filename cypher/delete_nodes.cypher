// Remove these nodes ($ids). Their edges are removed before, each as part of the diff.
UNWIND $ids AS id
MATCH (n:Entity {id: id})
DETACH DELETE n
