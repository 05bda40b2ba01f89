"""The seeded generator (`fixtures.generate`): reproducible, readable, with only the intended
bad rows, the annexe 4 figures exact, French names in latin-1."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import schemas
from fixtures import generate
from fixtures.aleas import jour
from fixtures.defauts import DEFAUTS, DOUBLON, QUARANTAINE, regle_attendue
from fixtures.ecriture import JOURNAL
from fixtures.entretiens import Entretiens
from fixtures.modele import a_l_echelle
from fixtures.population import Periode, simuler_episodes
from fixtures.referentiel import noms, objectifs_annexe4, prenoms, referentiel_national
from schemas.contract import NomFichier
from schemas.dialect import Ok, lire
from schemas.validation import trier
from tests.conftest import ROOT

# The contract's reference folder, next to the checkout (or to the worktrees' folder).
SHARED_REFERENCE = next(
    (
        p / "shared" / "reference"
        for p in (ROOT.parent, ROOT.parent.parent)
        if (p / "shared").is_dir()
    ),
    ROOT.parent / "shared" / "reference",
)
NUITS = (dt.date(2014, 12, 1), dt.date(2014, 12, 3))
PARAMETRES = generate.Parametres(
    scale=0.01,
    premiere_nuit=NUITS[0],
    derniere_nuit=NUITS[1],
    historique=dt.date(2014, 3, 3),
    seed=7,
    taux_defauts=0.01,  # high enough for every kind of bad row to show in a small run
)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dossier = tmp_path_factory.mktemp("gen") / "a"
    generate.generer(dossier, PARAMETRES)
    return dossier


def _octets(dossier: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((dossier / "inbox").iterdir())}


def _journal(dossier: Path) -> pl.DataFrame:
    return pl.read_csv(dossier / JOURNAL, separator=";", infer_schema=False).with_columns(
        pl.col("ligne").cast(pl.Int64)
    )


def test_same_seed_same_bytes_different_seed_different_bytes(run: Path, tmp_path: Path):
    generate.generer(tmp_path / "b", PARAMETRES)
    assert _octets(tmp_path / "b") == _octets(run)
    assert (tmp_path / "b" / JOURNAL).read_bytes() == (run / JOURNAL).read_bytes()

    autre = generate.Parametres(**{**PARAMETRES.__dict__, "seed": 8})
    generate.generer(tmp_path / "c", autre)
    differents = _octets(tmp_path / "c")
    assert differents.keys() == _octets(run).keys()
    assert differents["P3_ENTRETIENS_20141201.csv"] != _octets(run)["P3_ENTRETIENS_20141201.csv"]


def test_every_mandatory_flow_every_night_and_ref_on_the_first(run: Path):
    noms_fichiers = {p.name for p in (run / "inbox").glob("*.csv")}
    attendus = {
        f.nom_fichier(NUITS[0] + dt.timedelta(days=i))
        for f in schemas.ENTRANTS
        if f.obligatoire
        for i in range(3)
    } | {f.nom_fichier(NUITS[0]) for f in schemas.ENTRANTS if f.referentiel}
    assert noms_fichiers == attendus
    for nom in noms_fichiers:
        assert (run / "inbox" / (nom + ".ok")).exists()


def test_files_are_private(run: Path):
    for p in [*(run / "inbox").iterdir(), run / JOURNAL]:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
    assert stat.S_IMODE((run / "inbox").stat().st_mode) == 0o700


def test_every_file_has_a_valid_ok_and_only_the_intended_bad_rows(run: Path):
    journal = _journal(run)
    assert set(journal["defaut"]) >= set(DEFAUTS)  # the comparison below covers every kind
    for chemin in sorted((run / "inbox").glob("*.csv")):
        raw = chemin.read_bytes()
        ok = Ok.parse((run / "inbox" / (chemin.name + ".ok")).read_bytes())
        assert ok == Ok.of(raw, ok.rows), chemin.name
        flux = schemas.flux(NomFichier.parse(chemin.name).flux)
        lecture = lire(raw, flux)
        assert lecture.total == ok.rows, chemin.name
        tri = trier(lecture, flux)
        du_fichier = journal.filter(pl.col("fichier") == chemin.name)
        attendues = du_fichier.filter(pl.col("issue") == QUARANTAINE)["ligne"].to_list()
        doublons = du_fichier.filter(pl.col("issue") == DOUBLON)["ligne"].to_list()
        assert sorted(tri.lignes_en_quarantaine["_ligne"].to_list()) == sorted(attendues), (
            chemin.name
        )
        assert sorted(tri.doublons["_ligne"].to_list()) == sorted(doublons), chemin.name
        assert tri.nb_quarantaine <= 0.1 * max(ok.rows, 1), chemin.name
        assert tri.appliquees.height + tri.doublons.height + tri.nb_quarantaine == ok.rows


def test_each_bad_line_is_quarantined_for_the_reason_it_was_made_for(run: Path):
    journal = _journal(run).filter(pl.col("issue") == QUARANTAINE)
    vues = set()
    for (fichier,), lignes in journal.group_by("fichier"):
        flux = schemas.flux(NomFichier.parse(fichier).flux)
        tri = trier(lire((run / "inbox" / fichier).read_bytes(), flux), flux)
        regles = dict(tri.quarantaine.group_by("_ligne").agg(pl.col("regle")).iter_rows())
        for ligne, defaut in lignes.select("ligne", "defaut").iter_rows():
            assert regle_attendue(flux, defaut) in regles[ligne], (fichier, ligne)
            vues.add(defaut)
    assert vues == set(DEFAUTS) - {"doublon_identique"}


def test_first_night_carries_the_history_later_nights_the_day(run: Path):
    flux = schemas.flux("GIDE_AFFECTATIONS")
    dates = {}
    for nuit in (NUITS[0], NUITS[0] + dt.timedelta(days=1)):
        tri = trier(lire((run / "inbox" / flux.nom_fichier(nuit)).read_bytes(), flux), flux)
        dates[nuit] = tri.appliquees["date_affectation"]
    premiere = dates[NUITS[0]]
    assert premiere.min() <= PARAMETRES.historique + dt.timedelta(days=7)
    assert premiere.max() <= NUITS[0]
    lendemain = dates[NUITS[0] + dt.timedelta(days=1)]
    assert lendemain.len() < premiere.len() / 50
    assert lendemain.max() <= NUITS[0] + dt.timedelta(days=1)


def test_names_carry_accents_and_gide_stays_latin1(run: Path):
    flux = schemas.flux("GIDE_DEMANDEURS")
    raw = (run / "inbox" / flux.nom_fichier(NUITS[0])).read_bytes()
    assert not any(0x80 <= b <= 0x9F for b in raw)  # no Windows-1252 punctuation (œ, €...)
    tri = trier(lire(raw, flux), flux)
    texte = "".join(tri.appliquees["nom"].to_list() + tri.appliquees["prenom"].to_list())
    assert {"é", "è", "ç", "ë", "ï"} <= set(texte)
    for nom in (*noms(), *prenoms()):
        nom.encode("iso-8859-1")
        assert "œ" not in nom.lower()


def test_ages_mostly_16_to_25_with_edge_cases(run: Path):
    flux = schemas.flux("GIDE_DEMANDEURS")
    tri = trier(lire((run / "inbox" / flux.nom_fichier(NUITS[0])).read_bytes(), flux), flux)
    ages = tri.appliquees.select(
        ((pl.col("date_effet") - pl.col("date_naissance")).dt.total_days() / 365.25).alias("a")
    )["a"]
    assert ((ages >= 15.5) & (ages < 26.5)).mean() > 0.97
    assert (ages >= 25).sum() > 0


def test_annexe4_objectives_are_exact():
    annexe = objectifs_annexe4()
    sommes = dict(annexe.group_by("annee").agg(pl.col("objectif").sum()).iter_rows())
    assert sommes == {2009: 129_999, 2010: 150_000}
    assert annexe.group_by("annee").len().sort("annee")["len"].to_list() == [26, 26]
    assert set(annexe["code"]) == set(schemas.champs.REGIONS_2010)
    if (SHARED_REFERENCE / "objectifs_regionaux_annexe4.csv").exists():
        partage = (SHARED_REFERENCE / "objectifs_regionaux_annexe4.csv").read_bytes()
        copie = ROOT / "fixtures" / "reference" / "objectifs_regionaux_annexe4.csv"
        assert copie.read_bytes() == partage


def test_ml_objectives_add_up_to_their_region_and_the_ref_file_says_so(run: Path):
    referentiel = referentiel_national(450, PARAMETRES.seed)
    obj = referentiel.objectifs
    ml = obj.filter(pl.col("niveau") == "ML").join(
        referentiel.missions_locales.select(pl.col("code_ml").alias("code"), "code_region"),
        on="code",
    )
    par_region = ml.group_by("code_region", "annee").agg(pl.col("objectif").sum())
    regions = obj.filter(pl.col("niveau") == "REGION").rename({"code": "code_region"})
    compare = regions.join(par_region, on=["code_region", "annee"], suffix="_ml")
    assert compare.height == 52
    assert (compare["objectif"] == compare["objectif_ml"]).all()
    assert 400 <= referentiel.nb <= 500
    flux = schemas.flux("REF_OBJECTIFS")
    tri = trier(lire((run / "inbox" / flux.nom_fichier(NUITS[0])).read_bytes(), flux), flux)
    ecrits = tri.appliquees.filter(pl.col("niveau") == "REGION").select("code", "annee", "objectif")
    assert ecrits.sort("code", "annee").equals(
        objectifs_annexe4().select("code", "annee", "objectif").sort("code", "annee")
    )


def test_zones_use_communes_of_the_mls_region():
    referentiel = referentiel_national(450, 1)
    deps = pl.read_csv(
        ROOT / "fixtures" / "reference" / "departements_2010.csv", separator=";", infer_schema=False
    )
    zones = referentiel.zones.join(
        referentiel.missions_locales.select("code_ml", "code_region"), on="code_ml"
    ).with_columns(
        pl.when(pl.col("code_commune").str.starts_with("97"))
        .then(pl.col("code_commune").str.slice(0, 3))
        .otherwise(pl.col("code_commune").str.slice(0, 2))
        .alias("code_departement")
    )
    joint = zones.join(deps, on="code_departement", how="left", suffix="_dep")
    assert joint["code_region_dep"].null_count() == 0
    assert (joint["code_region"] == joint["code_region_dep"]).all()
    assert zones["code_commune"].is_unique().all()


def test_interviews_are_the_same_whatever_the_windows():
    referentiel = referentiel_national(450, 3)
    periode = Periode(dt.date(2012, 1, 2), dt.date(2012, 6, 1), dt.date(2012, 6, 1))
    modele = a_l_echelle(0.005)
    entretiens = Entretiens.de(simuler_episodes(referentiel, periode, modele, 3), modele, 3)
    d0, d1 = jour(dt.date(2012, 3, 1)), jour(dt.date(2012, 3, 31))
    entier = entretiens.fenetre(d0, d1)
    morceaux = pl.concat([entretiens.fenetre(d, d) for d in range(d0, d1 + 1)])
    cle = ["id_entretien", "_nuit"]
    assert entier.height > 100
    assert morceaux.sort(cle).equals(entier.sort(cle))
    assert set(entier["type_entretien"]) == set(schemas.champs.TYPES_ENTRETIEN)


def test_status_rows_follow_the_contract_and_cover_every_status(run: Path):
    flux = schemas.flux("GIDE_STATUTS")
    tri = trier(lire((run / "inbox" / flux.nom_fichier(NUITS[0])).read_bytes(), flux), flux)
    statuts = tri.appliquees
    assert set(statuts["statut"]) == set(schemas.champs.STATUTS)
    radie = statuts.filter(pl.col("statut") == "RADIE")["duree_radiation_jours"]
    assert radie.min() >= 15 and radie.max() <= 366
    assert statuts.filter(pl.col("statut") != "RADIE")["duree_radiation_jours"].null_count() == (
        statuts.filter(pl.col("statut") != "RADIE").height
    )


def test_corrections_resend_a_key_on_a_later_night(tmp_path: Path):
    p = generate.Parametres(
        scale=0.05,
        premiere_nuit=dt.date(2013, 3, 4),
        derniere_nuit=dt.date(2013, 3, 31),
        historique=dt.date(2013, 1, 7),
        seed=11,
        taux_defauts=0.0,
    )
    generate.generer(tmp_path, p)
    flux = schemas.flux("P3_CIVIS")
    frames = []
    for chemin in sorted((tmp_path / "inbox").glob("P3_CIVIS_*.csv")):
        tri = trier(lire(chemin.read_bytes(), flux), flux)
        frames.append(tri.appliquees.with_columns(pl.lit(chemin.name).alias("fichier")))
    civis = pl.concat(frames)
    repetees = civis.filter(pl.struct(flux.cle).is_duplicated())
    assert repetees.height > 0
    assert repetees.group_by(flux.cle).agg(pl.col("fichier").n_unique())["fichier"].min() == 2


def test_the_makefile_call_parses_with_sensible_defaults():
    args = generate.parser().parse_args(["--scale", "0.01", "--out", "var/fixtures/scale-0.01"])
    assert args.premiere == dt.date(2014, 12, 1)
    assert args.derniere == dt.date(2014, 12, 5)
    assert args.historique == dt.date(2010, 1, 4)
    assert (
        generate.parser().parse_args(["--out", "x", "--history-from", "aucun"]).historique is None
    )


def test_a_small_run_through_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture):
    code = generate.main(
        [
            "--scale",
            "0.01",
            "--from",
            "2011-06-06",
            "--to",
            "2011-06-08",
            "--history-from",
            "aucun",
            "--seed",
            "5",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    assert "lignes/s" in capsys.readouterr().out
    assert len(list((tmp_path / "inbox").glob("*.csv"))) == 3 * 9 + 3
    episodes = simuler_episodes(
        referentiel_national(450, 5),
        Periode(dt.date(2011, 6, 6), dt.date(2011, 6, 6), dt.date(2011, 6, 8)),
        a_l_echelle(0.01),
        5,
    )
    assert np.all(episodes.a >= jour(dt.date(2011, 6, 6)))


def test_r3_weekly_stocks_at_a_divergence_rate_are_what_the_night_finds(tmp_path: Path):
    """The generator's stocks (its expected views, R2, with random gaps) run through two
    real nights: the night, which reads what it sent from its emission ledger, finds
    exactly the gaps the generator made from the files alone."""
    import io

    from fixtures.stocks import vues_attendues
    from rules.rapprochement import STOCKS
    from tests.fiabilite import executer

    premiere, stock = dt.date(2014, 12, 1), dt.date(2014, 12, 2)
    out = tmp_path / "jeu"
    args = ["--scale", "0.002", "--from", premiere.isoformat(), "--to", stock.isoformat()]
    args += ["--history-from", "2014-06-02", "--stocks", "mardi", "--taux-divergence", "0.1"]
    assert generate.main([*args, "--out", str(out)]) == 0
    inbox = out / "inbox"
    vues = vues_attendues(inbox, stock, [premiere])
    ecarts = 0
    for systeme, vue in vues.items():
        f = schemas.flux(STOCKS[systeme])
        lu = trier(lire((inbox / f.nom_fichier(stock)).read_bytes(), f), f).appliquees
        assert 0 < lu.height < vue.height  # some lost
        changes = vue.join(
            lu.select(vue.columns), on=vue.columns, how="anti", nulls_equal=True
        ).height
        ecarts += changes
        assert changes > vue.height - lu.height  # some changed too
    home = tmp_path / "var"
    for nuit in (premiere, stock):
        execution = executer(home, "--date", nuit.isoformat(), inbox=inbox)
        assert execution.code == 0, execution.sortie
    data = (home / "reports" / stock.isoformat() / "rapprochement.csv").read_bytes()
    trouvees = pl.read_csv(io.BytesIO(data), separator=";", infer_schema=False)
    assert trouvees.height == ecarts
    assert set(trouvees["code"]) == {
        "STOCK_EPISODE_MANQUANT",
        "STOCK_ECART_STATUT",
        "STOCK_ECART_ETAT",
    }
