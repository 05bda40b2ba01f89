"""What each outbound flow carries on night D (RULES.md, "What each outbound flow carries").

`enregistrements(etat, entrees, d)` gives every record that exists as of D, per outbound
flow, typed and sorted by the flow's key; the upsert against earlier nights is done
elsewhere. Personal data only enters here, for P3_IN_AFFECTATIONS (the identity as of D),
and P3 never gets a radiation motif (P3_IN_STATUTS has no motif column).

**Readings taken:**

- P3_IN_STATUTS: "open on its date_effet" uses the same definition as everywhere
  (date_affectation ≤ date_effet < date_fin): the status row dated on an episode's end day
  (for instance the radiation that cancels it) is not sent; the end itself is.
- P3_IN_TRAITEMENTS_ALERTE: "a known alert" is an alert present in P3_ALERTES as of D;
  an incoherent treatment (dated before its alert) is ignored by A1 and not sent.
- GIDE_IN_CIVIS: a DE "who has an episode" has an opened episode (any phase) as of D.
- GIDE_IN_SORTIES_A_INITIER: a proposal is pending while its episode is open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

import schemas
from rules.cles import MOTEUR, cle_de
from rules.etat import Etat
from rules.sources import sources


def _typer(frame: pl.LazyFrame, nom: str) -> pl.DataFrame:
    flux = schemas.flux(nom)
    return (
        frame.select([pl.col(c).cast(t) for c, t in flux.types_polars.items()])
        .sort(flux.cle, maintain_order=True)
        .collect(engine=MOTEUR)
    )


def _p3_statuts(episodes: pl.LazyFrame, statuts: pl.LazyFrame) -> pl.LazyFrame:
    """Status rows dated while one of the DE's episodes is open (any ML). A DE's opened
    episodes never overlap (E2), so a row matches at most one of them."""
    ep = episodes.select(cle_de().alias("_k_de"), "date_affectation", "date_fin")
    return (
        statuts.select("id_de", "statut", "date_effet", cle_de().alias("_k_de"))
        .join(ep, on="_k_de")
        .filter(
            (pl.col("date_effet") >= pl.col("date_affectation"))
            & (pl.col("date_fin").is_null() | (pl.col("date_effet") < pl.col("date_fin")))
        )
    )


def enregistrements(
    etat: Etat, entrees: Mapping[str, pl.LazyFrame], d: dt.date
) -> dict[str, pl.DataFrame]:
    """Every record of each outbound flow that exists as of night D, one typed frame each
    (columns exactly the flow's, dates as `pl.Date`, sorted by key)."""
    src = sources(entrees, d)
    ep = etat.episodes.lazy()
    fini = pl.col("date_fin").is_not_null()
    sortie = fini & (pl.col("origine_fin") != "E6")
    sorties = ep.filter(sortie).select(
        "id_affectation",
        "id_de",
        pl.col("date_fin").alias("date_sortie"),
        pl.col("motif_fin").alias("motif_sortie"),
        "origine_fin",
    )
    out = {
        "P3_IN_AFFECTATIONS": ep.join(src.identites.drop("date_effet"), on="id_de", how="inner"),
        "P3_IN_STATUTS": _p3_statuts(ep, src.statuts),
        "P3_IN_TRAITEMENTS_ALERTE": etat.traitements.lazy().filter(
            pl.col("statut_traitement") == "APPLIQUE"
        ),
        "P3_IN_SORTIES": sorties,
        "P3_IN_ANNULATIONS": ep.filter(pl.col("origine_fin") == "E6").select(
            "id_affectation",
            "id_de",
            pl.col("date_fin").alias("date_annulation"),
            pl.col("motif_fin").alias("motif_annulation"),
        ),
        "GIDE_IN_INITIALISATIONS": ep.filter(pl.col("date_initialisation").is_not_null()).select(
            "id_affectation",
            "id_de",
            "code_ml",
            "date_initialisation",
            pl.col("type_entretien_initialisation").alias("type_entretien"),
        ),
        "GIDE_IN_CIVIS": src.civis.join(ep.select("id_de").unique(), on="id_de", how="semi"),
        "GIDE_IN_ALERTES": etat.alertes.lazy().filter(pl.col("id_affectation").is_not_null()),
        "GIDE_IN_SORTIES": sorties.filter(pl.col("origine_fin").is_in(["S1", "S2"])),
        "GIDE_IN_SORTIES_A_INITIER": etat.demenagements.lazy()
        .filter(pl.col("proposition_en_attente"))
        .with_columns(pl.lit("DEMENAGEMENT_HORS_ZONE").alias("motif")),
        "DUDE_IN_ETATS": ep,
    }
    return {f.nom: _typer(out[f.nom], f.nom) for f in schemas.SORTANTS}
