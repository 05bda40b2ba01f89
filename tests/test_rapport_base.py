"""The report fed from a real database: files of the night, events once, corrections after
sending (reporting.chargement), over three ingested nights."""

from __future__ import annotations

import datetime as dt

import polars as pl

import reporting
import schemas
from pipelines import completude, emission, ingestion
from reporting import chargement
from rules.etat import etat_au
from rules.historique import au
from rules.sortants import enregistrements
from tests.banc import Banc
from tests.inbox_builder import deposer, nuit_vide

D0, D1, D2 = dt.date(2010, 10, 4), dt.date(2010, 10, 5), dt.date(2010, 10, 6)
DEMANDEUR = "1234567A;Lefèvre;Zoé;01/02/1990;75112;01/03/2010"
AFFECTATION = "AF0000000001;1234567A;75012;75001;01/10/2010;REN"


def _autres_affectations() -> list[str]:
    bonnes = [f"AF00000001{i:02d};{2000000 + i}B;75012;75001;01/10/2010;ACC" for i in range(20)]
    mauvaise = "AF0000000X01;3000000C;75012;75001;01/10/2010;ACC"
    conflit = [
        "AF0000000200;3000001C;75012;75001;01/10/2010;ACC",
        "AF0000000200;3000001C;75013;75001;01/10/2010;ACC",
    ]
    return [*bonnes, mauvaise, *conflit]


def _rapport(banc: Banc, nuit: dt.date, tmp_path, emettre: tuple[str, ...] = ()):
    bilan = banc.bilan(nuit)
    completude.enregistrer(banc.db, bilan, emise=bilan.complete, forcee=False)
    entrees = au(ingestion.charger_historique(banc.db, nuit), nuit)
    etat = etat_au(entrees, nuit)
    records = enregistrements(etat, entrees, nuit)
    for nom in emettre:
        f = schemas.flux(nom)
        emission.emettre(banc.db, banc.depot.zone(f.systeme.nom), f, nuit, records[nom])
    contenu = reporting.construire(
        etat,
        chargement.entrees_anomalies(banc.db, nuit, records, bilan.complete),
        chargement.referentiels(entrees),
        chargement.deja_signales(banc.db, nuit),
    )
    chemins = reporting.ecrire_rapport(tmp_path / "reports", contenu)
    chargement.enregistrer_signalements(banc.db, contenu)
    return contenu, chemins


def _codes(contenu: reporting.ContenuRapport) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for ligne in contenu.anomalies.to_dicts():
        out.setdefault(ligne["code"], []).append(ligne)
    return out


def test_rapport_depuis_la_base_sur_trois_nuits(banc: Banc, tmp_path):
    # Night 0: P3_ENTRETIENS missing; affectations with a bad row and a conflict.
    nuit_vide(banc.inbox, D0, sauf=("P3_ENTRETIENS", "GIDE_DEMANDEURS", "GIDE_AFFECTATIONS"))
    deposer(banc.inbox, "GIDE_DEMANDEURS", D0, [DEMANDEUR])
    deposer(banc.inbox, "GIDE_AFFECTATIONS", D0, [AFFECTATION, *_autres_affectations()])
    banc.ingerer(D0)
    contenu0, chemins0 = _rapport(banc, D0, tmp_path)
    codes0 = _codes(contenu0)
    assert [a["fichier"] for a in codes0["FLUX_MANQUANT"]] == ["P3_ENTRETIENS_20101004.csv"]
    quarantaine = codes0["LIGNES_EN_QUARANTAINE"][0]
    assert quarantaine["fichier"] == "GIDE_AFFECTATIONS_20101004.csv"
    assert quarantaine["message"].startswith("3 ligne(s) sur 24")
    assert "id_affectation (motif) : 1" in quarantaine["message"]
    assert len(codes0["DOUBLON_CONFLICTUEL"]) == 1
    assert [a["id_affectation"] for a in codes0["AFFECTATION_HORS_PARCOURS_ACC"]] == [
        "AF0000000001"
    ]
    assert not contenu0.complete and not contenu0.emise
    qualite = contenu0.qualite
    assert qualite.filter(pl.col("statut") == "MANQUANT").get_column("fichier").to_list() == [
        "P3_ENTRETIENS_20101004.csv"
    ]

    # Re-running night 0 reproduces its report, although its events are now stored.
    contenu0_bis, _ = _rapport(banc, D0, tmp_path)
    assert contenu0_bis.anomalies.equals(contenu0.anomalies)

    # Night 1: complete; the interview initialises AF1, sent to GIDE.
    nuit_vide(banc.inbox, D1, sauf=("P3_ENTRETIENS",))
    deposer(banc.inbox, "P3_ENTRETIENS", D1, ["EN0000000001;1234567A;75012;05/10/2010;INDIVIDUEL"])
    banc.ingerer(D1)
    contenu1, _ = _rapport(banc, D1, tmp_path, emettre=("GIDE_IN_INITIALISATIONS",))
    codes1 = _codes(contenu1)
    assert "AFFECTATION_HORS_PARCOURS_ACC" not in codes1  # an event is listed once
    assert "ACCEPTATION_MANQUANTE" not in codes1 and contenu1.complete
    assert "CORRECTION_APRES_ENVOI" not in codes1

    # Night 2: a radiation dated 03/10 arrives late: the episode is cancelled, the
    # initialisation already sent no longer holds.
    nuit_vide(banc.inbox, D2, sauf=("GIDE_STATUTS",))
    deposer(banc.inbox, "GIDE_STATUTS", D2, ["1234567A;RADIE;03/10/2010;ABSENCE_CONVOCATION;30"])
    banc.ingerer(D2)
    contenu2, chemins2 = _rapport(banc, D2, tmp_path)
    correction = _codes(contenu2)["CORRECTION_APRES_ENVOI"]
    assert [(c["id_affectation"], c["systemes"]) for c in correction] == [("AF0000000001", "GIDE")]
    assert "05/10/2010" in correction[0]["message"] and "ANNULEE" in correction[0]["message"]
    assert "ANNULATION_RADIATION" in _codes(contenu2)

    for chemin in [*chemins0, *chemins2]:
        if chemin.suffix in (".csv", ".html"):
            texte = chemin.read_text(encoding="utf-8-sig")
            assert "Lefèvre" not in texte and "Zoé" not in texte and "01/02/1990" not in texte
