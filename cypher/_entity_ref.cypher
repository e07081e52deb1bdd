// Fragment (included as {{ entity_ref x }}, with {of} standing for the variable x): the entity reference of a node as
// a map with the fields of qgraph.results.EntityRef. Its nation is the one writers keep on the node (`_nation`, '' for
// none: set_nations.cypher), or for a node written by an older version the same rule applied to its edges
// (_kept_nation.cypher); '' becomes null. External is false unless the record says true.
{id: {of}.id, kind: {of}._kind, name: {of}.name, name_ja: {of}.name_ja, external: coalesce({of}.external, false),
 nation: [nation_ IN [CASE WHEN {of}._nation IS NOT NULL THEN {of}._nation ELSE {{ kept_nation {of} }} END]
          WHERE nation_ <> ''][0]}
