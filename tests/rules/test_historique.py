"""`rules.historique.au`: the latest file wins per key, whatever the order rows come in."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.historique import DATE_FICHIER, FICHIERS_SCHEMA, LIGNE, ORDRE, Historique, au

NUIT = dt.date(2010, 10, 8)
JOUR0 = dt.date(2010, 10, 1)


def _reference(rows: pl.DataFrame, cle: list[str]) -> pl.DataFrame:
    """The rule written plainly: sort everything, keep the last row of each key."""
    return rows.sort(DATE_FICHIER, ORDRE, LIGNE).group_by(cle, maintain_order=True).last()


fichier = st.tuples(st.integers(0, 9), st.integers(1, 3))  # (day, version) of a file
ligne = st.tuples(
    st.integers(0, 5),  # id_de
    st.integers(0, 3),  # date_effet (day)
    st.sampled_from(["INSCRIT", "RADIE", "SUSPENSION_6_MOIS"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(fichier, st.lists(ligne, max_size=8, unique_by=lambda x: x[:2]))))
def test_au_keeps_the_row_of_the_latest_file_per_key(fichiers):
    """GIDE_STATUTS (key id_de, date_effet): versions, corrections and files dated after D."""
    lignes, vus = [], []
    for ordre, ((jour, version), contenu) in enumerate(fichiers, start=1):
        date_fichier = JOUR0 + dt.timedelta(days=jour)
        vus.append(("GIDE_STATUTS", date_fichier, ordre * 10 + version))
        for n, (de, effet, statut) in enumerate(contenu, start=2):
            lignes.append(
                {
                    "id_de": f"{de:07d}A",
                    "statut": statut,
                    "motif": None,
                    "date_effet": JOUR0 + dt.timedelta(days=effet),
                    "duree_radiation_jours": None,
                    DATE_FICHIER: date_fichier,
                    ORDRE: ordre * 10 + version,
                    LIGNE: n,
                }
            )
    h = Historique.vide()
    table = pl.DataFrame(lignes, schema=h.table("GIDE_STATUTS").collect_schema())
    historique = Historique(
        tables={**h.tables, "GIDE_STATUTS": table.lazy()},
        fichiers=pl.DataFrame(vus, schema=FICHIERS_SCHEMA, orient="row").lazy(),
    )
    obtenu = au(historique, NUIT)["GIDE_STATUTS"].collect()
    # The reference, by hand: only the latest version of each file dated ≤ D takes part.
    retenues = (
        pl.DataFrame(vus, schema=FICHIERS_SCHEMA, orient="row")
        .filter(pl.col(DATE_FICHIER) <= NUIT)
        .group_by("flux", DATE_FICHIER)
        .agg(pl.col(ORDRE).max())
    )
    attendu = _reference(
        table.join(retenues.select(DATE_FICHIER, ORDRE), on=[DATE_FICHIER, ORDRE], how="semi"),
        ["id_de", "date_effet"],
    ).select(table.columns)
    assert obtenu.sort(pl.all()).equals(attendu.sort(pl.all()))
