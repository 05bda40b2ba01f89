"""The shipped sample (fixtures/echantillon): the report's anomalies over its five nights
equal the hand-worked expectations of SCENARIOS.md."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

import reporting
import schemas
from pipelines import completude, emission, etat_nuit, rapprochement
from reporting import chargement
from tests.banc import Banc

pytestmark = pytest.mark.slow

ECHANTILLON = Path(__file__).resolve().parents[1] / "fixtures" / "echantillon"
NUITS = [dt.date(2010, 10, 4) + dt.timedelta(days=k) for k in range(5)]


@pytest.fixture(scope="module")
def anomalies_des_nuits(tmp_path_factory) -> pl.DataFrame:
    if not (ECHANTILLON / "attendu" / "anomalies_attendues.csv").is_file():
        pytest.skip("échantillon absent (fixtures/echantillon)")
    from tests.banc import nouveau_banc

    banc: Banc = nouveau_banc(tmp_path_factory.mktemp("echantillon"))
    shutil.copytree(ECHANTILLON / "inbox", banc.inbox)
    nuits = []
    for nuit in NUITS:
        banc.ingerer(nuit)
        bilan = banc.bilan(nuit)
        completude.enregistrer(banc.db, bilan, emise=bilan.complete, forcee=False)
        du_soir = etat_nuit.calculer(banc.db, nuit)
        etat, records = du_soir.etat, du_soir.enregistrements
        rapproches = rapprochement.du_jour(banc.db, du_soir, 1)
        contenu = reporting.construire(
            etat,
            chargement.entrees_anomalies(
                banc.db,
                nuit,
                records,
                bilan.complete,
                divergences_stock=rapprochement.divergences(rapproches),
            ),
            du_soir.referentiels,
            chargement.deja_signales(banc.db, nuit),
        )
        if bilan.complete:
            for f in schemas.SORTANTS:
                emission.emettre(
                    banc.db,
                    banc.depot.zone(f.systeme.nom),
                    f,
                    nuit,
                    records[f.nom],
                    renvois=rapprochement.a_renvoyer(rapproches, f.nom, nuit),
                )
        chargement.enregistrer_signalements(banc.db, contenu)
        nuits.append(contenu.anomalies.with_columns(pl.lit(nuit).alias("nuit")))
    return pl.concat(nuits)


def test_echantillon_anomalies_des_episodes_scriptes(anomalies_des_nuits):
    attendu = pl.read_csv(
        ECHANTILLON / "attendu" / "anomalies_attendues.csv",
        separator=";",
        try_parse_dates=True,
        schema_overrides={"id_affectation": pl.String},
    )
    scriptes = anomalies_des_nuits.filter(
        pl.col("id_affectation").str.starts_with("AF99")
        | ((pl.col("code") == "TRAITEMENT_ORPHELIN") & pl.col("id_de").str.starts_with("99"))
    )
    obtenu = scriptes.select("nuit", "code", "id_affectation").unique()
    cles = ["nuit", "code", "id_affectation"]
    assert obtenu.join(attendu, on=cles, how="anti", nulls_equal=True).is_empty()
    assert attendu.join(obtenu, on=cles, how="anti", nulls_equal=True).is_empty()


def test_echantillon_anomalies_hors_episodes(anomalies_des_nuits):
    a = anomalies_des_nuits
    depassement = a.filter(pl.col("code") == "DEPASSEMENT_OBJECTIF")
    assert depassement.select("nuit", "code_ml").rows() == [
        (NUITS[0], "93002"),
        (NUITS[1], "93002"),
    ]
    rejets = a.filter(pl.col("code") == "FICHIER_REJETE")
    assert rejets.select("nuit", "fichier").rows() == [(NUITS[4], "P3_CIVIS_20101008.csv")]
    defauts = pl.read_csv(ECHANTILLON / "attendu" / "lignes_defectueuses.csv", separator=";")
    par_fichier = dict(
        defauts.filter(pl.col("issue") == "quarantaine").group_by("fichier").len().iter_rows()
    )
    quarantaines = a.filter(pl.col("code") == "LIGNES_EN_QUARANTAINE")
    obtenu = {
        f: int(m.split(" ")[0]) for f, m in quarantaines.select("fichier", "message").iter_rows()
    }
    assert obtenu == par_fichier
