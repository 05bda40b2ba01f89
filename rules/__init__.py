"""The cotraitance rules of RULES.md as pure polars functions (polars in, polars out).

Public API:

- `rules.historique`: `Historique`, `au(historique, d)`: the inbound rows in force on D.
- `rules.etat`: `etat_au(entrees, d) -> Etat`, `etat_depuis_historique(historique, d)`,
  and `Etat`, the state of night D (episodes and the frames the anomalies read).
- `rules.sortants`: `enregistrements(etat, entrees, d)`: every record of each outbound flow
  as of D.
- `rules.calendrier`: the calendar arithmetic of the rules ("+ N months", clamped).

The rules themselves, grouped by phase: `rules.entree` (E1-E7), `rules.accompagnement`
(A1-A5), `rules.sortie` (S1-S6); `rules.statuts` (the status timeline), `rules.sources`
(rows in force on D), `rules.cles` (integer keys for the big joins).
"""
