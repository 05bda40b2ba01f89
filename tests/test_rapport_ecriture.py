"""Writing the report: files, dialect, workbook, determinism, privacy, pseudonymisation."""

from __future__ import annotations

import datetime as dt
import io
import stat
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from python_calamine import CalamineWorkbook

import reporting
from reporting import ecriture
from rules.anomalies import CODES, COLONNES_CSV
from tests.rapport_scenario import IDENTIFIANTS, NAISSANCES, NOMS, NUIT, contenu

CLE = b"une cle de test de 32 octets !!!"


@pytest.fixture(scope="module")
def rapport() -> reporting.ContenuRapport:
    return contenu()


@pytest.fixture(scope="module")
def ecrit(rapport, tmp_path_factory) -> dict[str, Path]:
    chemins = reporting.ecrire_rapport(tmp_path_factory.mktemp("rapports"), rapport)
    return {p.name: p for p in chemins}


@pytest.fixture(scope="module")
def pseudo(rapport, tmp_path_factory) -> dict[str, Path]:
    chemins = reporting.ecrire_rapport(tmp_path_factory.mktemp("pseudo"), rapport, CLE)
    return {p.name: p for p in chemins}


def lire_csv(chemin: Path) -> pl.DataFrame:
    return pl.read_csv(chemin, separator=";", infer_schema=False)


def textes(chemins: dict[str, Path]) -> dict[str, str]:
    """Every file as text: CSV and HTML decoded, the workbook's XML parts, the parquet's values."""
    out = {}
    for nom, chemin in chemins.items():
        data = chemin.read_bytes()
        if nom.endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                out[nom] = "\n".join(z.read(n).decode("utf-8") for n in z.namelist())
        elif nom.endswith(".parquet"):
            frame = pl.read_parquet(chemin)
            out[nom] = frame.write_csv() + "\n" + " ".join(frame.columns)
        else:
            out[nom] = data.decode("utf-8-sig")
    return out


def test_ecrire_rapport_cinq_fichiers_prives_dans_le_dossier_de_la_nuit(ecrit):
    assert sorted(ecrit) == sorted(reporting.FICHIERS)
    dossier = next(iter(ecrit.values())).parent
    assert dossier.name == "2010-10-04"
    assert stat.S_IMODE(dossier.stat().st_mode) == 0o700
    for chemin in ecrit.values():
        assert stat.S_IMODE(chemin.stat().st_mode) == 0o600, chemin.name
    assert [p.name for p in dossier.parent.iterdir()] == ["2010-10-04"]  # no temporary left


def test_ecrire_rapport_reecrire_une_nuit_donne_les_memes_octets(ecrit, tmp_path):
    autre = {p.name: p for p in reporting.ecrire_rapport(tmp_path, contenu())}
    for nom, chemin in ecrit.items():
        assert chemin.read_bytes() == autre[nom].read_bytes(), nom
    encore = {p.name: p.read_bytes() for p in reporting.ecrire_rapport(tmp_path, contenu())}
    assert encore == {n: p.read_bytes() for n, p in autre.items()}


def test_ecrire_rapport_remplace_le_rapport_et_garde_les_fichiers_etrangers(rapport, tmp_path):
    dossier = tmp_path / NUIT.isoformat()
    dossier.mkdir()
    (dossier / "note.txt").write_text("note d'exploitation")
    (dossier / "anomalies.csv").write_text("ancien")
    reporting.ecrire_rapport(tmp_path, rapport)
    assert (dossier / "note.txt").read_text() == "note d'exploitation"
    assert (dossier / "anomalies.csv").read_bytes().startswith(b"\xef\xbb\xbfcode;severite")
    assert sorted(p.name for p in tmp_path.iterdir()) == [NUIT.isoformat()]


def test_ecrire_rapport_tout_ou_rien(rapport, tmp_path, monkeypatch):
    reporting.ecrire_rapport(tmp_path, rapport)
    avant = {p.name: p.read_bytes() for p in (tmp_path / NUIT.isoformat()).iterdir()}
    vrai = ecriture.ecrire_atomique

    def panne(cible: Path, data: bytes) -> None:
        if cible.name == "rapport.xlsx":
            raise OSError("disque plein")
        vrai(cible, data)

    monkeypatch.setattr(ecriture, "ecrire_atomique", panne)
    with pytest.raises(OSError):
        reporting.ecrire_rapport(tmp_path, rapport)
    apres = {p.name: p.read_bytes() for p in (tmp_path / NUIT.isoformat()).iterdir()}
    assert apres == avant
    assert sorted(p.name for p in tmp_path.iterdir()) == [NUIT.isoformat()]


def test_anomalies_csv_colonnes_du_contrat_bom_et_dates_iso(ecrit, rapport):
    brut = ecrit["anomalies.csv"].read_bytes()
    assert brut.startswith(b"\xef\xbb\xbf" + ";".join(COLONNES_CSV).encode() + b"\n")
    assert b"\r\n" not in brut
    lu = lire_csv(ecrit["anomalies.csv"])
    assert lu.columns == COLONNES_CSV
    assert lu.height == rapport.anomalies.height > 10
    assert lu.get_column("date_debut").str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    attendu = rapport.anomalies.select(COLONNES_CSV).with_columns(
        pl.col("date_debut").cast(pl.String)
    )
    assert lu.equals(attendu)


def test_anomalies_csv_liste_les_anomalies_de_la_nuit(ecrit):
    codes = set(lire_csv(ecrit["anomalies.csv"]).get_column("code"))
    attendus = {
        "FLUX_MANQUANT", "FICHIER_REJETE", "LIGNES_EN_QUARANTAINE", "DOUBLON_CONFLICTUEL",
        "DEMANDEUR_INCONNU", "ML_INCONNUE", "AFFECTATION_HORS_AGE", "ACCEPTATION_MANQUANTE",
        "INITIALISATION_MANQUANTE", "ALERTE_NON_TRAITEE", "TRAITEMENT_ORPHELIN",
    }  # fmt: skip
    assert attendus <= codes
    assert "SORTIE_AUTOMATIQUE" not in codes  # the night is not emitted: it waits


def test_indicateurs_csv_virgule_decimale_et_entiers(ecrit):
    lu = lire_csv(ecrit["indicateurs.csv"])
    taux = lu.filter(pl.col("indicateur") == "TAUX_REALISATION").get_column("valeur")
    assert taux.len() > 0 and taux.str.contains(r"^\d+(,\d+)?$").all()
    assert taux.str.contains(",").any()
    autres = lu.filter(pl.col("indicateur") != "TAUX_REALISATION").get_column("valeur")
    assert autres.str.contains(r"^\d+$").all()
    nat = lu.filter(
        (pl.col("niveau") == "NATIONAL")
        & (pl.col("indicateur") == "OBJECTIF")
        & (pl.col("annee") == "2010")
    )
    assert nat.get_column("valeur").to_list() == ["150000"]


def test_csv_un_nom_venu_d_un_referentiel_n_est_jamais_une_formule(ecrit):
    texte = ecrit["indicateurs.csv"].read_text(encoding="utf-8-sig")
    assert ";'=Mission locale de Lyon;" in texte
    assert ";=Mission" not in texte


def test_classeur_feuilles_et_comptes_comme_anomalies_csv(ecrit):
    csv = lire_csv(ecrit["anomalies.csv"])
    wb = openpyxl.load_workbook(ecrit["rapport.xlsx"])
    assert wb.sheetnames == [
        "Synthèse",
        "Anomalies",
        "Indicateurs",
        "Objectifs",
        "Rapprochement des stocks",
        "Qualité des flux",
    ]
    ws = wb["Anomalies"]
    assert [c.value for c in ws[1]] == COLONNES_CSV
    assert ws.max_row - 1 == csv.height
    assert ws.freeze_panes == "A2"
    assert ws.tables["anomalies"].autoFilter is not None
    regles = [r.formula[0] for plage in ws.conditional_formatting for r in plage.rules]
    assert {'$B2="BLOQUANT"', '$B2="ALERTE"', '$B2="INFO"'} <= set(regles)
    codes_xlsx = [ws.cell(row=i, column=1).value for i in range(2, ws.max_row + 1)]
    assert codes_xlsx == csv.get_column("code").to_list()
    synthese = wb["Synthèse"]
    par_code = {
        r[0]: r[3] for r in synthese.iter_rows(min_row=6, max_row=5 + len(CODES), values_only=True)
    }
    assert list(par_code) == list(CODES)
    attendu = dict(csv.group_by("code").len().iter_rows())
    assert {c: n for c, n in par_code.items() if n} == attendu
    assert wb.properties.created == dt.datetime(2010, 10, 4)


def test_classeur_lu_par_calamine_objectifs_et_qualite(ecrit):
    wb = CalamineWorkbook.from_path(str(ecrit["rapport.xlsx"]))
    objectifs = wb.get_sheet_by_name("Objectifs").to_python()
    entete = objectifs[0]
    lignes = [dict(zip(entete, r, strict=True)) for r in objectifs[1:]]
    idf = [
        r for r in lignes if r["niveau"] == "REGION" and r["code"] == "11" and r["annee"] == 2010
    ]
    assert idf and idf[0]["objectif"] == 19702 and idf[0]["source"] == "ANNEXE_4"
    nat = [r for r in lignes if r["niveau"] == "NATIONAL" and r["annee"] == 2009]
    assert nat[0]["objectif"] == 129999
    qualite = wb.get_sheet_by_name("Qualité des flux").to_python()
    statuts = [r[qualite[0].index("statut")] for r in qualite[1:]]
    assert statuts == ["MANQUANT", "REJETE", "APPLIQUE", "APPLIQUE"]
    anomalies = wb.get_sheet_by_name("Anomalies").to_python()
    assert len(anomalies) - 1 == lire_csv(ecrit["anomalies.csv"]).height


def test_etats_parquet_les_episodes_de_la_nuit(ecrit, rapport):
    lu = pl.read_parquet(ecrit["etats.parquet"])
    assert lu.equals(rapport.episodes.drop("age_affectation"))
    assert not {"nom", "prenom", "date_naissance", "age_affectation"} & set(lu.columns)


def test_aucune_donnee_personnelle_dans_les_sorties(ecrit):
    for nom, texte in textes(ecrit).items():
        for mot in NOMS:
            assert mot not in texte, nom
        for naissance in NAISSANCES:
            for forme in (naissance.isoformat(), f"{naissance:%d/%m/%Y}"):
                assert forme not in texte, nom
    wb = openpyxl.load_workbook(ecrit["rapport.xlsx"])
    for ws in wb.worksheets:
        for ligne in ws.iter_rows(values_only=True):
            for v in ligne:
                if isinstance(v, dt.datetime):
                    assert v.date() not in NAISSANCES, ws.title


def test_pseudonymise_aucun_identifiant_d_origine(pseudo):
    tous = textes(pseudo)
    for nom, texte in tous.items():
        for ident in IDENTIFIANTS:
            assert ident not in texte, (nom, ident)
    csv = lire_csv(pseudo["anomalies.csv"])
    parquet = pl.read_parquet(pseudo["etats.parquet"])
    ids = csv.get_column("id_affectation").drop_nulls()
    assert ids.str.contains(r"^[0-9a-f]{16}$").all()
    assert set(ids) <= set(parquet.get_column("id_affectation"))  # the same pseudonym everywhere
    assert "pseudonymisés" in tous["rapport.html"]


def test_pseudonymise_garde_le_reste_identique(ecrit, pseudo):
    clair, masque = lire_csv(ecrit["anomalies.csv"]), lire_csv(pseudo["anomalies.csv"])
    garde = ["code", "severite", "code_ml", "code_region", "fichier", "date_debut", "systemes"]
    assert clair.select(garde).equals(masque.select(garde))
    assert clair.get_column("message").to_list() != masque.get_column("message").to_list()
    assert pseudo["indicateurs.csv"].read_bytes() == ecrit["indicateurs.csv"].read_bytes()


def test_pseudonymise_le_meme_identifiant_dans_un_nom_de_fichier_reste_intact(rapport):
    # "20101004" is a valid id_de pattern and appears inside file names: words only are replaced.
    episodes = rapport.episodes.with_columns(pl.lit("20101004").alias("id_de"))
    masque = reporting.pseudonymiser(
        reporting.ContenuRapport(**{**rapport.__dict__, "episodes": episodes}), CLE
    )

    def textes_fichiers(c: reporting.ContenuRapport) -> pl.DataFrame:
        return c.anomalies.filter(pl.col("fichier").is_not_null()).select("message", "action")

    assert textes_fichiers(masque).equals(textes_fichiers(rapport))
    assert textes_fichiers(masque).get_column("action").str.contains("_20101004.csv").any()
    assert "20101004" not in masque.episodes.get_column("id_de").to_list()


def test_pseudonymise_refuse_une_cle_trop_courte(rapport, tmp_path):
    with pytest.raises(ValueError, match="trop courte"):
        reporting.ecrire_rapport(tmp_path, rapport, b"court")


def test_ecrire_rapport_d_une_nuit_sans_rien(tmp_path):
    from tests.rules.builders import Entrees

    vide = reporting.construire(
        Entrees(referentiel=False).etat(NUIT), reporting.EntreesAnomalies(), referentiels_vides()
    )
    chemins = {p.name: p for p in reporting.ecrire_rapport(tmp_path, vide)}
    assert lire_csv(chemins["anomalies.csv"]).height == 0
    assert lire_csv(chemins["anomalies.csv"]).columns == COLONNES_CSV
    assert "Aucune anomalie" in chemins["rapport.html"].read_text(encoding="utf-8")
    assert vide.complete and vide.signalements.is_empty()


def referentiels_vides() -> reporting.Referentiels:
    return reporting.Referentiels.vides()
