"""The shipped sample (`fixtures/echantillon`): equal to its regeneration, its bad rows and
bad file as documented, its scripted rows all delivered, its expectations well-formed."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import polars as pl
import pytest

import schemas
from fixtures import echantillon, scenarios
from fixtures.defauts import DEFAUTS, DOUBLON, INCOHERENCE, QUARANTAINE
from fixtures.evenements import NUIT
from fixtures.referentiel import objectifs_annexe4
from schemas.champs import ETATS, MOTIFS_SORTIE, PHASES
from schemas.contract import NomFichier
from schemas.dialect import Ok, lire
from schemas.validation import Tri, trier
from tests.conftest import ROOT

SAMPLE = ROOT / "fixtures" / "echantillon"
INBOX = SAMPLE / "inbox"
ATTENDU = SAMPLE / "attendu"
README = ROOT / "fixtures" / "README.md"
PHASE_ETATS = {
    "ENTREE": {"AFFECTATION", "ACCEPTATION"},
    "ACCOMPAGNEMENT": {"ACTIF", "ALERTE", "SUSPENSION"},
    "SORTIE": set(MOTIFS_SORTIE),
    "ANNULEE": {"RADIATION_AVANT_INITIALISATION"},
}
CODES_RULES = {
    "FLUX_MANQUANT",
    "FICHIER_REJETE",
    "LIGNES_EN_QUARANTAINE",
    "DOUBLON_CONFLICTUEL",
    "DEMANDEUR_INCONNU",
    "ML_INCONNUE",
    "AFFECTATION_EN_DOUBLE",
    "AFFECTATION_HORS_AGE",
    "AFFECTATION_HORS_PARCOURS_ACC",
    "ACCEPTATION_ORPHELINE",
    "ACCEPTATION_ML_DIVERGENTE",
    "ACCEPTATION_INCOHERENTE",
    "ACCEPTATION_MANQUANTE",
    "INITIALISATION_MANQUANTE",
    "INITIALISATION_AVANT_ACCEPTATION",
    "ANNULATION_RADIATION",
    "COMPTABILISATION_CIVIS",
    "ALERTE_NON_TRAITEE",
    "TRAITEMENT_ORPHELIN",
    "TRAITEMENT_INCOHERENT",
    "SANS_ENTRETIEN_MENSUEL",
    "SORTIE_AUTOMATIQUE",
    "DEMENAGEMENT_HORS_ZONE",
    "SORTIE_ORPHELINE",
    "ACTIVITE_APRES_SORTIE",
    "CORRECTION_APRES_ENVOI",
    "DEPASSEMENT_OBJECTIF",
    "STOCK_REJETE",
    "STOCK_EPISODE_MANQUANT",
    "STOCK_EPISODE_EN_TROP",
    "STOCK_ECART_STATUT",
    "STOCK_ECART_ALERTE",
    "STOCK_ECART_ETAT",
    "STOCK_ECART_DONNEES",
}


def _fichiers(dossier: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(dossier)): p.read_bytes()
        for p in sorted(dossier.rglob("*"))
        if p.is_file()
    }


@cache
def _tri(nom: str) -> Tri:
    """Each file of the sample read once for the whole module."""
    flux = schemas.flux(NomFichier.parse(nom).flux)
    return trier(lire((INBOX / nom).read_bytes(), flux), flux)


def _lignes_appliquees(nom: str) -> pl.DataFrame:
    return _tri(nom).appliquees


def _csv(chemin: Path) -> pl.DataFrame:
    return pl.read_csv(chemin, separator=";", infer_schema=False)


def test_checked_in_sample_equals_a_fresh_regeneration(tmp_path: Path):
    echantillon.construire(tmp_path)
    frais, livre = _fichiers(tmp_path), _fichiers(SAMPLE)
    assert frais.keys() == livre.keys()
    differents = [nom for nom in frais if frais[nom] != livre[nom]]
    assert differents == [], "régénérer : python -m fixtures.echantillon"


def test_five_nights_every_mandatory_flow_ref_on_the_first_and_the_revision():
    noms = {p.name for p in INBOX.glob("*.csv")}
    obligatoires = {
        f.nom_fichier(n) for f in schemas.ENTRANTS if f.obligatoire for n in scenarios.NUITS
    }
    references = {f.nom_fichier(scenarios.N1) for f in schemas.ENTRANTS if f.referentiel}
    revision = {schemas.flux("REF_OBJECTIFS").nom_fichier(scenarios.N3)}
    stocks = {
        schemas.flux(f"{systeme}_STOCK").nom_fichier(nuit)
        for nuit, systemes in echantillon.STOCKS.items()
        for systeme in systemes
    }
    assert len(stocks) == 5  # GIDE and P3 on N2 and N4, DUDE on N2
    assert noms == obligatoires | references | revision | stocks
    assert all((INBOX / (n + ".ok")).exists() for n in noms)


def test_exactly_one_bad_file_on_the_last_night():
    mauvais = []
    for chemin in sorted(INBOX.glob("*.csv")):
        ok = Ok.parse((INBOX / (chemin.name + ".ok")).read_bytes())
        if ok != Ok.of(chemin.read_bytes(), ok.rows):
            mauvais.append(chemin.name)
    assert mauvais == [echantillon.FICHIER_REJETE]
    assert NomFichier.parse(mauvais[0]).date == scenarios.N5
    assert _csv(ATTENDU / "fichiers_rejetes.csv")["fichier"].to_list() == mauvais


def test_the_bad_rows_are_the_documented_ones_and_stay_under_the_threshold():
    journal = _csv(ATTENDU / "lignes_defectueuses.csv").with_columns(pl.col("ligne").cast(pl.Int64))
    assert set(journal["defaut"]) == {*DEFAUTS, INCOHERENCE}
    nuits = {NomFichier.parse(f).date for f in journal["fichier"]}
    assert len(nuits) >= 4
    for chemin in sorted(INBOX.glob("*.csv")):
        if chemin.name == echantillon.FICHIER_REJETE:
            continue
        tri = _tri(chemin.name)
        du_fichier = journal.filter(pl.col("fichier") == chemin.name)
        quarantaine = du_fichier.filter(pl.col("issue") == QUARANTAINE)["ligne"].to_list()
        doublons = du_fichier.filter(pl.col("issue") == DOUBLON)["ligne"].to_list()
        assert sorted(tri.lignes_en_quarantaine["_ligne"].to_list()) == sorted(quarantaine)
        assert sorted(tri.doublons["_ligne"].to_list()) == sorted(doublons)
        total = tri.appliquees.height + tri.doublons.height + tri.nb_quarantaine
        assert tri.nb_quarantaine <= 0.1 * total, chemin.name  # the threshold is 20 %


def test_the_readme_explains_every_bad_line():
    texte = README.read_text(encoding="utf-8")
    documentees = set(re.findall(r"^\| `([A-Z0-9_]+\.csv)` \| (\d+) \|", texte, flags=re.M))
    journal = _csv(ATTENDU / "lignes_defectueuses.csv")
    assert documentees == set(journal.select("fichier", "ligne").iter_rows())
    assert echantillon.FICHIER_REJETE in texte


def test_every_scripted_row_is_delivered_on_its_night():
    for flux, attendues in echantillon.lignes_scriptees(scenarios.recits()).items():
        colonnes = schemas.flux(flux).colonnes
        for (nuit,), groupe in attendues.group_by(NUIT):
            nom = schemas.flux(flux).nom_fichier(nuit)
            if nom == echantillon.FICHIER_REJETE:
                continue
            livrees = _lignes_appliquees(nom).select(colonnes)
            manquantes = (
                groupe.select(colonnes)
                .join(livrees, on=colonnes, how="anti", nulls_equal=True)
                .height
            )
            assert manquantes == 0, nom


def test_expectations_are_well_formed():
    recits = scenarios.recits()
    assert len(recits) >= 30
    etats = _csv(ATTENDU / "etats_attendus.csv")
    assert etats.columns == [
        "nuit",
        "id_affectation",
        "phase",
        "etat",
        "date_debut_etat",
        "date_fin",
        "comptabilise_objectif",
    ]
    assert etats.select(pl.struct("nuit", "id_affectation").is_unique().all()).item()
    for phase, etat, debut, fin, compte in etats.select(
        "phase", "etat", "date_debut_etat", "date_fin", "comptabilise_objectif"
    ).iter_rows():
        assert phase in PHASES and etat in ETATS and etat in PHASE_ETATS[phase]
        assert (fin is not None) == (phase in ("SORTIE", "ANNULEE"))
        assert fin is None or fin == debut
        assert compte in (None, "O", "N")
        assert phase != "ACCOMPAGNEMENT" or compte is not None
        assert phase not in ("ENTREE", "ANNULEE") or compte is None
    nuits = {d.isoformat() for d in scenarios.NUITS}
    assert set(etats["nuit"]) == nuits
    anomalies = _csv(ATTENDU / "anomalies_attendues.csv")
    assert set(anomalies["code"]) <= CODES_RULES
    assert set(anomalies["nuit"]) <= nuits
    # The expectations cover every rule of RULES.md.
    regles = " ".join(r.regles for r in recits)
    for regle in (
        [f"E{i}" for i in range(1, 8)]
        + [f"A{i}" for i in range(1, 6)]
        + [f"S{i}" for i in range(1, 7)]
    ):
        assert re.search(rf"\b{regle}\b", regles), regle


def test_every_expected_episode_has_its_affectation_in_the_inbox():
    affectations = pl.concat(
        [
            _lignes_appliquees(p.name).with_columns(
                pl.lit(NomFichier.parse(p.name).date).alias("_fichier")
            )
            for p in sorted(INBOX.glob("GIDE_AFFECTATIONS_*.csv"))
        ]
    )
    etats = _csv(ATTENDU / "etats_attendus.csv")
    premiere = etats.group_by("id_affectation").agg(pl.col("nuit").min())
    arrivees = affectations.group_by("id_affectation").agg(pl.col("_fichier").min())
    joint = premiere.join(arrivees, on="id_affectation", how="left")
    assert joint["_fichier"].null_count() == 0
    assert (joint["_fichier"] <= joint["nuit"].str.to_date()).all()


def test_ref_objectives_hold_annexe4_and_the_mls_then_the_revision():
    n1 = _lignes_appliquees(schemas.flux("REF_OBJECTIFS").nom_fichier(scenarios.N1))
    regions = n1.filter(pl.col("niveau") == "REGION").select("code", "annee", "objectif")
    assert regions.sort("code", "annee").equals(
        objectifs_annexe4().select("code", "annee", "objectif").sort("code", "annee")
    )
    ml = n1.filter(pl.col("niveau") == "ML")
    assert set(ml["code"]) == set(scenarios.MISSIONS_LOCALES)
    assert ml.height == 2 * len(scenarios.MISSIONS_LOCALES)
    n3 = _lignes_appliquees(schemas.flux("REF_OBJECTIFS").nom_fichier(scenarios.N3))
    revise = n3.filter((pl.col("code") == scenarios.ML_DEPASSEMENT) & (pl.col("annee") == 2010))
    assert revise["objectif"].item() == echantillon.OBJECTIF_REVISE


def test_zones_are_in_the_mls_regions():
    prefixes = {"11": ("75", "93"), "21": ("51", "10"), "93": ("13", "06")}
    zones = _lignes_appliquees(schemas.flux("REF_ZONES_ML").nom_fichier(scenarios.N1))
    ml = _lignes_appliquees(schemas.flux("REF_MISSIONS_LOCALES").nom_fichier(scenarios.N1))
    for code_ml, commune in zones.select("code_ml", "code_commune").iter_rows():
        region = ml.filter(pl.col("code_ml") == code_ml)["code_region"].item()
        assert commune[:2] in prefixes[region]


def test_the_overrun_ml_counts_far_more_entries_than_its_first_objective():
    """A rough count, independent of the engine: episodes of 2010 at the ML with a first
    interview there on or after their affectation, no CIVIS and no radiation at all."""
    ml = scenarios.ML_DEPASSEMENT

    def tout(flux: str) -> pl.DataFrame:
        return pl.concat(
            [_lignes_appliquees(p.name) for p in sorted(INBOX.glob(f"{flux}_2*.csv"))]
            if flux != "P3_CIVIS"
            else [
                _lignes_appliquees(p.name)
                for p in sorted(INBOX.glob("P3_CIVIS_2*.csv"))
                if p.name != echantillon.FICHIER_REJETE
            ]
        )

    affectations = tout("GIDE_AFFECTATIONS").filter(
        (pl.col("code_ml") == ml) & (pl.col("date_affectation").dt.year() == 2010)
    )
    entretiens = tout("P3_ENTRETIENS").filter(pl.col("code_ml") == ml)
    exclus = pl.concat(
        [
            tout("P3_CIVIS").select("id_de"),
            tout("GIDE_STATUTS").filter(pl.col("statut") == "RADIE").select("id_de"),
        ]
    )
    comptees = (
        affectations.join(entretiens, on="id_de")
        .filter(
            (pl.col("date_entretien") >= pl.col("date_affectation"))
            & (pl.col("date_entretien") < scenarios.N1)
        )
        .join(exclus, on="id_de", how="anti")
        .select("id_affectation")
        .unique()
    )
    assert comptees.height > 2 * echantillon.OBJECTIFS_ML[ml][1]


@pytest.mark.parametrize("flux", ["GIDE_DEMANDEURS"])
def test_sample_names_carry_accents_in_latin1(flux: str):
    raw = (INBOX / schemas.flux(flux).nom_fichier(scenarios.N1)).read_bytes()
    raw.decode("iso-8859-1")
    assert not any(0x80 <= b <= 0x9F for b in raw)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    noms = _lignes_appliquees(schemas.flux(flux).nom_fichier(scenarios.N1))
    # Plain values only in assertions: a failure must not print people's names.
    trouvee = noms.filter((pl.col("id_de") == "9900101S") & (pl.col("prenom") == "Élodie")).height
    assert trouvee == 1


def test_sample_stays_small():
    assert sum(len(b) for b in _fichiers(SAMPLE).values()) < 1_000_000
