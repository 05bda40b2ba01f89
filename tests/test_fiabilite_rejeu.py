"""Failure mode 12: a replay. Backfilling three nights twice changes nothing.

The shipped sample's first three nights are run (`passerelle run --from --to`, reports
pseudonymised), then run again over the same working area: every outbound file is
byte-identical, and so is every table (rows sorted; reception and processing timestamps
left out), reports included.
Guards: the ledger (a known version is not applied again), `emission.precedentes` (only
earlier nights count), deterministic writers (files sorted by key).

The same backfill serves three data-protection checks, since it is the fullest run there is:
- no name, first name or birth date of the sample in any log line, in the command's output,
  in any event of the Dagster instance of the first backfill (messages, metadata, errors)
  or in any file Dagster keeps under its DAGSTER_HOME (its databases, compute logs);
- `--pseudonymise`: no original identifier in any report file, the same pseudonyms across
  files; without the key, exit 2 before any work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from dagster._serdes import serialize_value

import schemas
from pipelines.rapport import VARIABLE_CLE
from reporting import FICHIERS
from tests.echantillon import INBOX, NUITS, Execution
from tests.fiabilite import base, empreinte_tables, environnement, executer

DEBUT, FIN = NUITS[0], NUITS[2]
CLE = "une clé de pseudonymisation de test, 32 octets au moins"


def _empreintes(dossier: Path) -> dict[str, str]:
    return {
        str(p.relative_to(dossier)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(dossier.rglob("*"))
        if p.is_file()
    }


@dataclass
class Rejeu:
    home: Path
    dagster_home: Path
    executions: list[Execution]
    sortants: list[dict[str, str]] = field(default_factory=list)
    rapports: list[dict[str, str]] = field(default_factory=list)
    tables: list[dict[str, str]] = field(default_factory=list)
    evenements: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def rejeu(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("rejeu") / "var"
    # Dagster's own SQLite storage, as the command line uses it, kept in memory-backed
    # storage when there is some: it syncs every event to disk.
    shm = Path("/dev/shm")
    dagster_home = Path(
        tempfile.mkdtemp(prefix="rejeu-dagster-", dir=shm if shm.is_dir() else None)
    )
    r = Rejeu(home=home, dagster_home=dagster_home, executions=[])
    args = ("--from", DEBUT.isoformat(), "--to", FIN.isoformat(), "--pseudonymise")
    env: dict[str, str | None] = {VARIABLE_CLE: CLE}
    try:
        # The replay itself needs no stored events: an ephemeral instance, as fast as it gets.
        for instance_dagster in (dagster_home, None):
            r.executions.append(
                executer(home, *args, inbox=INBOX, env=env, dagster_home=instance_dagster)
            )
            r.sortants.append(_empreintes(home / "outbox"))
            r.rapports.append(_empreintes(home / "reports"))
            r.tables.append(empreinte_tables(base(home)))
        with environnement({"DAGSTER_HOME": str(dagster_home)}):
            instance = dg.DagsterInstance.get()
            try:
                for run in instance.get_runs():
                    r.evenements += [serialize_value(e) for e in instance.all_logs(run.run_id)]
            finally:
                instance.dispose()
        yield r
    finally:
        shutil.rmtree(dagster_home, ignore_errors=True)


def test_rejeu_de_trois_nuits_fichiers_sortants_et_tables_identiques(rejeu: Rejeu):
    premier, second = rejeu.executions
    assert (premier.code, second.code) == (0, 0), premier.sortie + second.sortie
    attendus = {
        f"{f.dossier_sortant}/{f.nom_fichier(n)}" for f in schemas.SORTANTS for n in NUITS[:3]
    }
    assert attendus <= set(rejeu.sortants[0])
    assert rejeu.sortants[1] == rejeu.sortants[0]
    assert rejeu.tables[1] == rejeu.tables[0]
    assert rejeu.rapports[1] == rejeu.rapports[0]


def _personnes() -> tuple[set[str], set[str]]:
    """Names and first names, and birth dates in both forms, of every sample young person.

    Names that are also words of a mission locale's name ("Paris") are left out: a log may
    name a place, which cannot be told from a person of that name.
    """
    lieux = {
        mot
        for chemin in INBOX.glob("REF_MISSIONS_LOCALES_*.csv")
        for nom_ml in pl.read_csv(chemin, separator=";", infer_schema=False)["nom_ml"]
        for mot in re.split(r"[ -]", nom_ml)
    }
    noms: set[str] = set()
    naissances: set[str] = set()
    for chemin in sorted(INBOX.glob("GIDE_DEMANDEURS_*.csv")):
        frame = pl.read_csv(chemin, separator=";", encoding="latin-1", infer_schema=False)
        noms |= set(frame["nom"].drop_nulls()) | set(frame["prenom"].drop_nulls())
        for brut in frame["date_naissance"].drop_nulls():
            jour = dt.datetime.strptime(brut, "%d/%m/%Y").date()
            naissances |= {f"{jour:%d/%m/%Y}", jour.isoformat()}
    return noms - lieux, naissances


class _Recherche:
    """Finds whole words among many (names, dates) in large texts: split into words once."""

    _MOT = re.compile(r"\w+(?:[/-]\w+)*")

    def __init__(self, valeurs: set[str]) -> None:
        self.simples = {v for v in valeurs if self._MOT.fullmatch(v)}
        composes = sorted(valeurs - self.simples)  # "Le Gall", "N'Diaye": a few
        self.composes = [re.compile(rf"(?<!\w){re.escape(v)}(?!\w)") for v in composes]

    def dans(self, texte: str) -> set[str]:
        mots = set()
        for mot in self._MOT.findall(texte):
            mots.add(mot)
            if "/" not in mot:  # "Europe/Paris" is a time zone, "12/05/1992" a date
                mots.update(mot.split("-"))
        trouves = mots & self.simples
        trouves |= {m.pattern for m in self.composes if m.search(texte)}
        return trouves


def test_journaux_et_evenements_dagster_sans_donnees_personnelles(rejeu: Rejeu):
    noms, naissances = _personnes()
    assert len(noms) > 100 and len(naissances) > 100
    recherche = _Recherche(noms | naissances)
    textes = {
        "sortie de la commande": "\n".join(e.sortie for e in rejeu.executions),
        "journaux Python": "\n".join(j for e in rejeu.executions for j in e.journaux),
        "événements Dagster": "\n".join(rejeu.evenements),
    }
    assert len(rejeu.evenements) > 500 and "STEP_SUCCESS" in textes["événements Dagster"]
    fichiers_dagster = [p for p in rejeu.dagster_home.rglob("*") if p.is_file()]
    assert fichiers_dagster
    for p in fichiers_dagster:
        textes[f"DAGSTER_HOME/{p.relative_to(rejeu.dagster_home)}"] = p.read_bytes().decode(
            "utf-8", "ignore"
        )
    trouves = {ou: sorted(recherche.dans(t))[:5] for ou, t in textes.items()}
    assert not any(trouves.values()), {k: v for k, v in trouves.items() if v}
    # The same search does find them where they belong: the outbound file for P3.
    p3 = rejeu.home / "outbox" / "p3" / schemas.flux("P3_IN_AFFECTATIONS").nom_fichier(DEBUT)
    assert len(recherche.dans(p3.read_text(encoding="utf-8"))) > 100


def _identifiants() -> set[str]:
    ids: set[str] = set()
    for chemin in sorted(INBOX.glob("*.csv")):
        if chemin.name.split("_")[-1] > f"{FIN:%Y%m%d}.csv":
            continue
        entete = chemin.read_bytes().split(b"\n", 1)[0].decode("ascii").split(";")
        colonnes = [c for c in ("id_de", "id_affectation", "id_alerte") if c in entete]
        if colonnes:
            frame = pl.read_csv(chemin, separator=";", encoding="latin-1", infer_schema=False)
            for c in colonnes:
                ids |= set(frame[c].drop_nulls())
    return ids


def _textes_du_rapport(dossier: Path) -> dict[str, str]:
    out = {}
    for chemin in sorted(dossier.iterdir()):
        data = chemin.read_bytes()
        if chemin.suffix == ".xlsx":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                out[chemin.name] = "\n".join(z.read(n).decode("utf-8") for n in z.namelist())
        elif chemin.suffix == ".parquet":
            frame = pl.read_parquet(chemin)
            out[chemin.name] = frame.write_csv()
        else:
            out[chemin.name] = data.decode("utf-8-sig")
    return out


def test_rapports_pseudonymises_sans_aucun_identifiant_d_origine(rejeu: Rejeu):
    ids = _identifiants()
    assert len(ids) > 1000
    motif = re.compile(r"\b(?:AF[0-9]{10}|AL[0-9]{10}|[0-9]{7}[0-9A-Z])\b")
    for nuit in NUITS[:3]:
        dossier = rejeu.home / "reports" / nuit.isoformat()
        textes = _textes_du_rapport(dossier)
        assert set(textes) == set(FICHIERS)  # every file of the report, rapprochement.csv too
        for nom, texte in textes.items():
            vus = set(motif.findall(texte)) & ids
            assert not vus, (nuit, nom, sorted(vus)[:5])
        episodes = pl.read_parquet(dossier / "etats.parquet")
        assert episodes["id_affectation"].str.contains(r"^[0-9a-f]{16}$").all()
        anomalies = pl.read_csv(dossier / "anomalies.csv", separator=";", infer_schema=False)
        cites = set(anomalies["id_affectation"].drop_nulls())
        assert cites & set(episodes["id_affectation"])  # one pseudonym across files


def test_pseudonymise_sans_cle_sortie_2_avant_tout_travail(tmp_path: Path):
    home = tmp_path / "var"
    sans_cle = executer(
        home, "--date", DEBUT.isoformat(), "--pseudonymise", inbox=INBOX, env={VARIABLE_CLE: None}
    )
    assert sans_cle.code == 2
    assert VARIABLE_CLE in sans_cle.sortie
    assert not home.exists() or not any(home.iterdir())
