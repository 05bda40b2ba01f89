"""The shipped sample nights end to end, through the command line and Dagster.

The golden set (fixtures/echantillon/attendu/) was worked out by hand from RULES.md,
independently of the engine: the states and anomalies of the scripted young people on each
night. Outbound files are checked with an independent tool (`frictionless validate`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import schemas
from tests.conftest import ROOT, SHARED_SPECS
from tests.echantillon import ATTENDU, NUITS, Execution, passerelle

DEBUT, FIN = NUITS[0].isoformat(), NUITS[-1].isoformat()


@pytest.fixture(scope="module")
def nuits(tmp_path_factory: pytest.TempPathFactory) -> Execution:
    return passerelle(tmp_path_factory.mktemp("echantillon"), "--from", DEBUT, "--to", FIN)


def test_range_exits_3_because_the_last_night_has_a_rejected_file(nuits: Execution):
    assert nuits.code == 3, nuits.sortie
    lignes = nuits.sortie.splitlines()
    for nuit in NUITS[:-1]:
        assert any(line.startswith(f"{nuit} : nuit complète") for line in lignes), nuits.sortie
    assert any(line.startswith(f"{NUITS[-1]} : nuit INCOMPLÈTE") for line in lignes)


def test_every_outbound_flow_is_written_each_complete_night_and_none_on_the_incomplete_one(
    nuits: Execution,
):
    for f in schemas.SORTANTS:
        dossier = nuits.outbox / f.dossier_sortant
        for nuit in NUITS[:-1]:
            fichier = dossier / f.nom_fichier(nuit)
            assert fichier.exists() and Path(f"{fichier}.ok").exists(), fichier
        assert not (dossier / f.nom_fichier(NUITS[-1])).exists()


def _attendus() -> pl.DataFrame:
    return pl.read_csv(
        ATTENDU / "etats_attendus.csv",
        separator=";",
        infer_schema=False,
    ).with_columns(pl.col("nuit").str.to_date())


def test_golden_states_of_the_scripted_young_people(nuits: Execution):
    """Phase, état, date_debut_etat, date_fin and comptabilise_objectif, night by night."""
    attendus = _attendus()
    colonnes = ["phase", "etat", "date_debut_etat", "date_fin", "comptabilise_objectif"]
    ecarts = []
    for nuit in NUITS:
        episodes = pl.read_parquet(nuits.reports / nuit.isoformat() / "etats.parquet")
        obtenus = episodes.select(
            "id_affectation",
            "phase",
            "etat",
            pl.col("date_debut_etat").cast(pl.String),
            pl.col("date_fin").cast(pl.String),
            "comptabilise_objectif",
        )
        voulus = attendus.filter(pl.col("nuit") == nuit).drop("nuit")
        joint = voulus.join(obtenus, on="id_affectation", how="left", suffix="_obtenu")
        for col in colonnes:
            diff = joint.filter(~pl.col(col).eq_missing(pl.col(f"{col}_obtenu")))
            ecarts += [
                f"{nuit} {r['id_affectation']} {col}: attendu {r[col]}, obtenu {r[col + '_obtenu']}"
                for r in diff.iter_rows(named=True)
            ]
    assert not ecarts, "\n".join(ecarts)
    assert attendus["id_affectation"].n_unique() >= 40


def test_dude_snapshot_carries_the_golden_states(nuits: Execution):
    attendus = _attendus()
    for nuit in NUITS[:-1]:
        f = schemas.flux("DUDE_IN_ETATS")
        snapshot = pl.read_csv(
            nuits.outbox / "dude" / f.nom_fichier(nuit), separator=";", infer_schema=False
        )
        voulus = attendus.filter(pl.col("nuit") == nuit)
        joint = voulus.join(snapshot, on="id_affectation", how="left", suffix="_dude")
        assert joint.filter(pl.col("etat") != pl.col("etat_dude")).height == 0
        assert snapshot.columns == f.colonnes


def test_golden_anomalies_of_the_scripted_young_people(nuits: Execution):
    attendues = pl.read_csv(ATTENDU / "anomalies_attendues.csv", separator=";", infer_schema=False)
    # the scripted young people: id_de 99nnn01S, affectations AF99nnn0000k
    scripte = pl.col("id_affectation").str.starts_with("AF99") | pl.col("id_de").str.starts_with(
        "99"
    )
    manquantes, en_trop = [], []
    for nuit in NUITS:
        obtenues = pl.read_csv(
            nuits.reports / nuit.isoformat() / "anomalies.csv", separator=";", infer_schema=False
        ).filter(scripte)
        a = set(
            attendues.filter(pl.col("nuit") == nuit.isoformat())
            .select("code", "id_affectation")
            .iter_rows()
        )
        o = set(obtenues.select("code", "id_affectation").iter_rows())
        manquantes += [(nuit, *x) for x in sorted(a - o)]
        en_trop += [(nuit, *x) for x in sorted(o - a)]
    assert not manquantes and not en_trop, (manquantes, en_trop)


def _package(fichiers: list[Path], contrat: Path) -> dict:
    ressources = {r["title"]: r for r in json.loads(contrat.read_text())["resources"]}
    out = []
    for fichier in fichiers:
        r = dict(ressources[fichier.name.rsplit("_", 1)[0]])
        r["name"] = fichier.stem.lower().replace("_", "-")
        r["path"] = str(fichier)
        out.append(r)
    return {"name": "sortants", "profile": "tabular-data-package", "resources": out}


def _frictionless(package: dict, dossier: Path) -> dict:
    chemin = dossier / "datapackage.json"
    chemin.write_text(json.dumps(package))
    exe = Path(sys.executable).parent / "frictionless"
    result = subprocess.run(
        [str(exe), "validate", str(chemin), "--json", "--trusted"],
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(result.stdout)


def _contrat() -> Path:
    shared = SHARED_SPECS / "datapackage.json"
    return shared if shared.exists() else ROOT / "docs" / "contrat" / "datapackage.json"


def test_every_outbound_file_is_valid_for_frictionless(nuits: Execution, tmp_path: Path):
    fichiers = sorted(nuits.outbox.rglob("*.csv"))
    assert len(fichiers) == len(schemas.SORTANTS) * (len(NUITS) - 1)
    rapport = _frictionless(_package(fichiers, _contrat()), tmp_path)
    erreurs = [(t["name"], t["errors"][:2]) for t in rapport["tasks"] if not t["valid"]]
    assert rapport["valid"], erreurs
    assert len(rapport["tasks"]) == len(fichiers)


def test_frictionless_does_see_a_broken_outbound_file(nuits: Execution, tmp_path: Path):
    """The validation above can fail: a GIDE file in UTF-8 with ISO dates is refused."""
    source = nuits.outbox / "dude" / schemas.flux("DUDE_IN_ETATS").nom_fichier(NUITS[0])
    faux = tmp_path / schemas.flux("DUDE_IN_ETATS").nom_fichier(NUITS[0])
    texte = source.read_text(encoding="utf-8").replace("-", "/", 3)
    faux.write_text(texte, encoding="utf-8")
    assert not _frictionless(_package([faux], _contrat()), tmp_path)["valid"]


def test_outbound_files_carry_only_their_contract_columns(nuits: Execution):
    """Data minimisation: each system gets its contract's fields; P3 never a radiation motif."""
    for f in schemas.SORTANTS:
        for fichier in (nuits.outbox / f.dossier_sortant).glob(f"{f.nom}_[0-9]*.csv"):
            entete = fichier.read_bytes().split(b"\n", 1)[0].decode(f.encoding)
            assert entete.split(";") == f.colonnes, fichier.name
    for fichier in (nuits.outbox / "p3").glob("*.csv"):
        entete = fichier.read_text(encoding="utf-8").split("\n", 1)[0]
        assert "motif" not in entete.split(";") and "duree_radiation_jours" not in entete


def test_gide_outbound_files_are_latin1_with_french_dates(nuits: Execution):
    fichier = nuits.outbox / "gide" / schemas.flux("GIDE_IN_INITIALISATIONS").nom_fichier(NUITS[0])
    lignes = fichier.read_bytes().decode("iso-8859-1").splitlines()
    assert len(lignes) > 1
    assert all(line.split(";")[3][2] == "/" for line in lignes[1:])


def test_rerun_of_a_night_after_later_nights_rewrites_byte_identical_files(
    nuits: Execution, tmp_path: Path
):
    home = tmp_path / "copie"
    shutil.copytree(nuits.home, home)
    avant_sortants = Execution(home).empreintes(home / "outbox")
    avant_rapports = Execution(home).empreintes(home / "reports" / NUITS[1].isoformat())
    again = passerelle(home, "--date", NUITS[1].isoformat())
    assert again.code == 0, again.sortie
    assert again.empreintes(home / "outbox") == avant_sortants
    assert again.empreintes(home / "reports" / NUITS[1].isoformat()) == avant_rapports


def test_allow_partial_emits_the_incomplete_night_and_exits_0(nuits: Execution, tmp_path: Path):
    home = tmp_path / "partielle"
    shutil.copytree(nuits.home, home)
    forced = passerelle(home, "--date", FIN, "--allow-partial")
    assert forced.code == 0, forced.sortie
    assert "émission partielle forcée" in forced.sortie
    for f in schemas.SORTANTS:
        assert (home / "outbox" / f.dossier_sortant / f.nom_fichier(NUITS[-1])).exists()
    anomalies = (home / "reports" / FIN / "anomalies.csv").read_text(encoding="utf-8-sig")
    assert "FICHIER_REJETE" in anomalies


def test_report_workbook_agrees_with_anomalies_csv(nuits: Execution):
    from python_calamine import CalamineWorkbook

    for nuit in NUITS:
        dossier = nuits.reports / nuit.isoformat()
        csv = pl.read_csv(dossier / "anomalies.csv", separator=";", infer_schema=False)
        wb = CalamineWorkbook.from_path(str(dossier / "rapport.xlsx"))
        assert {"Synthèse", "Anomalies", "Indicateurs", "Objectifs", "Qualité des flux"} <= set(
            wb.sheet_names
        )
        rows = wb.get_sheet_by_name("Anomalies").to_python()
        assert len(rows) - 1 == csv.height
        entete = rows[0]
        codes = sorted(str(r[entete.index("code")]) for r in rows[1:])
        assert codes == sorted(csv["code"].to_list())


def test_report_command_rebuilds_the_nights_report_from_the_database(
    nuits: Execution, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from pipelines.cli import main

    home = tmp_path / "rapport"
    shutil.copytree(nuits.home, home)
    dossier = home / "reports" / NUITS[2].isoformat()
    avant = Execution(home).empreintes(dossier)
    shutil.rmtree(dossier)
    monkeypatch.setenv("PASSERELLE_HOME", str(home))
    assert main(["report", "--date", NUITS[2].isoformat()]) == 0
    assert Execution(home).empreintes(dossier) == avant


# The sample's stocks (fixtures/echantillon/SCENARIOS.md, "Stocks"): re-sends (R5).
RENVOIS_ATTENDUS = {
    (NUITS[1], "P3_IN_AFFECTATIONS"): {"AF9900600001"},  # P3 lost the episode
    (NUITS[1], "P3_IN_SORTIES"): {"AF9903300001"},  # P3 keeps open an episode out since 15/09
    (NUITS[1], "GIDE_IN_INITIALISATIONS"): {"AF9900100001"},  # GIDE lacks the initialisation
    (NUITS[3], "P3_IN_STATUTS"): {"9902201S"},  # P3 shows INSCRIT, CESSATION was sent
}


def test_r5_the_sample_resends_what_its_stocks_lack_on_their_nights_only(nuits: Execution):
    scripte = ("AF99", "99")
    for f in schemas.SORTANTS:
        for nuit in NUITS[1:-1]:
            chemin = nuits.outbox / f.dossier_sortant / f.nom_fichier(nuit)
            lignes = chemin.read_bytes().decode(f.encoding).splitlines()[1:]
            cles = {ligne.split(";")[0] for ligne in lignes if ligne.startswith(scripte)}
            attendus = RENVOIS_ATTENDUS.get((nuit, f.nom), set())
            assert attendus <= cles, (nuit, f.nom, cles)
    # N4's GIDE stock still lacks the initialisation re-sent on N2: not re-sent again
    gide = schemas.flux("GIDE_IN_INITIALISATIONS")
    n4 = (nuits.outbox / "gide" / gide.nom_fichier(NUITS[3])).read_text(encoding="latin-1")
    assert "AF9900100001" not in n4


def test_r6_the_sample_report_has_the_concordance_of_each_stock(nuits: Execution):
    r = pl.read_csv(
        nuits.reports / NUITS[3].isoformat() / "rapprochement.csv",
        separator=";",
        infer_schema=False,
    )
    assert set(zip(r["systeme"], r["date_stock"], strict=True)) == {
        ("GIDE", "2010-10-07"),
        ("P3", "2010-10-07"),
        ("DUDE", "2010-10-05"),
    }
    sans_effet = r.filter(pl.col("renvoi") == "2010-10-05")
    assert set(sans_effet["id_affectation"]) == {"AF9900100001", "AF9903300001"}
