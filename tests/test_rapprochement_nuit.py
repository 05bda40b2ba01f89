"""The stock reconciliation in the night (RULES.md R1-R4, R6), end to end through `passerelle run`.

Two young people (tests/fiabilite.py) are affected, accepted and initialised before N1; the
run of N1 sends them to every system. The stocks of N2 show scripted divergences; later
nights check that they are listed until a newer stock is compared (R1), with `date_debut`
the first stock that shows them.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import polars as pl
import pytest

import schemas
from tests.fiabilite import executer, nuit_simple
from tests.inbox_builder import deposer

N1, N2, N3, N4 = (dt.date(2010, 10, 4) + dt.timedelta(days=i) for i in range(4))
A, B, INCONNU = "AF2000000001", "AF2000000002", "AF2000000009"

GIDE_JUSTE = {
    A: f"{A};2000001A;93002;27/09/2010;01/10/2010;INSCRIT",
    B: f"{B};2000002B;93002;28/09/2010;01/10/2010;INSCRIT",
}
P3_JUSTE = {
    A: f"{A};2000001A;93002;27/09/2010;01/10/2010;INSCRIT;N",
    B: f"{B};2000002B;93002;28/09/2010;01/10/2010;INSCRIT;N",
}
DUDE_JUSTE = {
    A: f"{A};2000001A;93002;2010-09-28;ACCOMPAGNEMENT;ACTIF",
    B: f"{B};2000002B;93002;2010-09-29;ACCOMPAGNEMENT;ACTIF",
}


def _rapport(home: Path, nuit: dt.date, nom: str) -> pl.DataFrame:
    data = (home / "reports" / nuit.isoformat() / nom).read_bytes()
    return pl.read_csv(io.BytesIO(data), separator=";", infer_schema=False)


def _stock_anomalies(home: Path, nuit: dt.date) -> set[tuple[str, str, str]]:
    a = _rapport(home, nuit, "anomalies.csv").filter(pl.col("code").str.starts_with("STOCK_"))
    return set(a.select("code", "id_affectation", "date_debut").iter_rows())


def _nuit(inbox: Path, nuit: dt.date, stocks: dict[str, list[str]] | None = None) -> None:
    nuit_simple(inbox, nuit, None if nuit == N1 else {})
    for flux, lignes in (stocks or {}).items():
        deposer(inbox, flux, nuit, lignes)


@pytest.fixture(scope="module")
def quatre_nuits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("rapprochement")
    inbox = home / "inbox"
    _nuit(inbox, N1)
    _nuit(
        inbox,
        N2,
        {
            # GIDE did not load the initialisation of B, and holds an episode nobody knows
            "GIDE_STOCK": [
                GIDE_JUSTE[A],
                f"{B};2000002B;93002;28/09/2010;;INSCRIT",
                f"{INCONNU};2000009J;93002;01/10/2010;;INSCRIT",
            ],
            # P3 lost the affectation of B and shows A as radié
            "P3_STOCK": [P3_JUSTE[A].replace(";INSCRIT;", ";RADIE;")],
            # DUDE did not load the snapshot's état of B
            "DUDE_STOCK": [
                DUDE_JUSTE[A],
                DUDE_JUSTE[B].replace("ACCOMPAGNEMENT;ACTIF", "ENTREE;ACCEPTATION"),
            ],
        },
    )
    _nuit(inbox, N3)
    _nuit(
        inbox,
        N4,
        {
            # GIDE still lacks B's initialisation; the unknown episode is gone
            "GIDE_STOCK": [GIDE_JUSTE[A], f"{B};2000002B;93002;28/09/2010;;INSCRIT"],
        },
    )
    for nuit in (N1, N2, N3, N4):
        execution = executer(home, "--date", nuit.isoformat(), inbox=inbox)
        assert execution.code == 0, execution.sortie
    return home


def test_r3_each_code_is_found_on_the_night_of_the_stock(quatre_nuits: Path):
    assert _stock_anomalies(quatre_nuits, N2) == {
        ("STOCK_ECART_DONNEES", B, "2010-10-05"),  # GIDE: date_initialisation
        ("STOCK_EPISODE_EN_TROP", INCONNU, "2010-10-05"),  # GIDE
        ("STOCK_ECART_STATUT", A, "2010-10-05"),  # P3
        ("STOCK_EPISODE_MANQUANT", B, "2010-10-05"),  # P3
        ("STOCK_ECART_ETAT", B, "2010-10-05"),  # DUDE
    }


def test_r3_rapprochement_csv_names_the_field_and_both_values(quatre_nuits: Path):
    r = _rapport(quatre_nuits, N2, "rapprochement.csv")
    ligne = r.filter((pl.col("systeme") == "GIDE") & (pl.col("code") == "STOCK_ECART_DONNEES"))
    assert ligne.select("id_affectation", "champ", "attendu", "stock", "fichier").row(0) == (
        B,
        "date_initialisation",
        "01/10/2010",
        "(vide)",
        "GIDE_STOCK_20101005.csv",
    )
    etat = r.filter(pl.col("systeme") == "DUDE").select("champ", "attendu", "stock").row(0)
    assert etat == ("phase, etat", "ACCOMPAGNEMENT; ACTIF", "ENTREE; ACCEPTATION")
    en_trop = r.filter(pl.col("code") == "STOCK_EPISODE_EN_TROP")["cause"].to_list()
    assert en_trop == ["inconnu de Passerelle"]
    assert set(r.columns) >= {"systeme", "code", "id_affectation", "champ", "attendu", "stock"}
    assert not {"nom", "prenom", "date_naissance"} & set(r.columns)


def test_r1_listed_every_night_until_a_newer_stock_of_that_system(quatre_nuits: Path):
    assert _stock_anomalies(quatre_nuits, N3) == _stock_anomalies(quatre_nuits, N2)
    # N4: a newer GIDE stock replaces GIDE's divergences; P3's and DUDE's still stand,
    # and B's date_initialisation, still missing, keeps the date of the first stock
    assert _stock_anomalies(quatre_nuits, N4) == {
        ("STOCK_ECART_DONNEES", B, "2010-10-05"),
        ("STOCK_ECART_STATUT", A, "2010-10-05"),
        ("STOCK_EPISODE_MANQUANT", B, "2010-10-05"),
        ("STOCK_ECART_ETAT", B, "2010-10-05"),
    }
    r = _rapport(quatre_nuits, N4, "rapprochement.csv")
    assert set(zip(r["systeme"], r["date_stock"], strict=True)) == {
        ("GIDE", "2010-10-07"),
        ("P3", "2010-10-05"),
        ("DUDE", "2010-10-05"),
    }


def test_r4_the_action_says_who_acts(quatre_nuits: Path):
    a = _rapport(quatre_nuits, N2, "anomalies.csv").filter(pl.col("code").str.starts_with("STOCK_"))
    par_code = {c: (s, act) for c, s, act in a.select("code", "systemes", "action").iter_rows()}
    # GIDE's own episode: GIDE acts; data Passerelle sent (an initialisation): re-send it
    assert par_code["STOCK_EPISODE_EN_TROP"][0].startswith("GIDE")
    assert "Donnée propre à Pôle emploi (GIDE)" in par_code["STOCK_EPISODE_EN_TROP"][1]
    assert "renvoyée automatiquement" in par_code["STOCK_ECART_DONNEES"][1]
    # a status P3 shows that no record sent carries (INSCRIT by default): a human looks
    assert "sans renvoi automatique possible" in par_code["STOCK_ECART_STATUT"][1]
    assert par_code["STOCK_EPISODE_MANQUANT"][0].startswith("P3")


def test_r6_the_taux_de_concordance_per_system(quatre_nuits: Path):
    from connectors.database import Database
    from pipelines import etat_nuit, rapprochement

    db = Database(f"sqlite:///{quatre_nuits / 'passerelle.db'}")
    du_soir = etat_nuit.calculer(db, N2)
    taux = {
        x.systeme: x.concordance.filter(pl.col("code_region").is_null())
        .select("attendus", "en_stock", "concordants", "taux_concordance")
        .row(0)
        for x in rapprochement.du_jour(db, du_soir, 1)
    }
    assert taux == {
        "GIDE": (2, 3, 1, pytest.approx(1 / 3)),  # B differs, the unknown one is extra
        "P3": (2, 1, 0, 0.0),  # A differs, B is missing
        "DUDE": (2, 2, 1, 0.5),
    }


def test_r6_the_report_has_a_rapprochement_section_and_sheet(quatre_nuits: Path):
    import zipfile

    dossier = quatre_nuits / "reports" / N2.isoformat()
    html = (dossier / "rapport.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="rapprochement">') :]
    section = section[: section.index("</section>")]
    assert "GIDE_STOCK_20101005.csv" in section and "33,3 %" in section  # GIDE: 1 of 3
    assert "50,0 %" in section and "0,0 %" in section  # DUDE, P3
    assert "STOCK_EPISODE_EN_TROP : 1" in section
    assert A not in section and B not in section  # counts only, no identifier
    with zipfile.ZipFile(dossier / "rapport.xlsx") as z:
        classeur = z.read("xl/workbook.xml").decode()
    assert "Rapprochement des stocks" in classeur


def test_r2_dude_reads_the_snapshot_kept_by_the_night_that_sent_it(
    quatre_nuits: Path, tmp_path: Path
):
    from connectors.database import Database
    from pipelines import etat_nuit
    from pipelines.rapprochement import instantane_envoye

    dossier = quatre_nuits / "cache" / "instantanes"  # the runs' PASSERELLE_HOME/cache
    garde = dossier / f"{N1.isoformat()}.parquet"
    assert garde.is_file() and garde.stat().st_mode & 0o077 == 0
    db = Database(f"sqlite:///{quatre_nuits / 'passerelle.db'}")

    def interdit(jour: dt.date) -> etat_nuit.ResultatEtat:
        raise AssertionError(f"état du {jour} recalculé")

    lu = instantane_envoye(db, N1, interdit, dossier).collect()
    recalcule = etat_nuit.calculer(db, N1).etat.episodes.select(lu.columns)
    assert lu.equals(recalcule)
    # a copy whose versions are no longer those applied is not used
    autre = pl.read_parquet(garde)
    autre.write_parquet(
        dossier / f"{N2.isoformat()}.parquet", metadata={"passerelle_versions": "x"}
    )
    with pytest.raises(AssertionError, match="recalculé"):
        instantane_envoye(db, N2, interdit, dossier)


def _lignes(home: Path, dossier: str, flux: str, nuit: dt.date) -> list[str]:
    f = schemas.flux(flux)
    data = (home / "outbox" / dossier / f.nom_fichier(nuit)).read_bytes()
    return data.decode(f.encoding).splitlines()[1:]


def test_r5_the_night_of_the_stock_resends_what_the_system_lacks(quatre_nuits: Path):
    # P3 lost B: its affectation goes out again, identity included (P3's contract)
    assert _lignes(quatre_nuits, "p3", "P3_IN_AFFECTATIONS", N2) == [
        f"{B};2000002B;Essai;Bruno;03/11/1990;93048;93002;28/09/2010"
    ]
    # GIDE lacks B's initialisation: the record sent on N1 goes out again
    assert _lignes(quatre_nuits, "gide", "GIDE_IN_INITIALISATIONS", N2) == [
        f"{B};2000002B;93002;01/10/2010;COLLECTIF"
    ]
    # the upsert rule alone would have sent nothing on N2 (nothing changed since N1)
    assert _lignes(quatre_nuits, "p3", "P3_IN_AFFECTATIONS", N3) == []
    a = _rapport(quatre_nuits, N2, "anomalies.csv").filter(
        pl.col("code") == "STOCK_EPISODE_MANQUANT"
    )
    assert a["message"][0].endswith("Passerelle le renvoie la nuit du 05/10/2010.")
    assert a["action"][0].startswith("Donnée envoyée par Passerelle, renvoyée automatiquement")


def test_r5_a_content_is_resent_at_most_once(quatre_nuits: Path):
    # N4's GIDE stock still lacks B's initialisation: nothing is re-sent, a human acts
    assert _lignes(quatre_nuits, "gide", "GIDE_IN_INITIALISATIONS", N4) == []
    a = _rapport(quatre_nuits, N4, "anomalies.csv").filter(
        (pl.col("code") == "STOCK_ECART_DONNEES") & pl.col("systemes").str.starts_with("GIDE")
    )
    assert a["message"][0].endswith("Renvoyé la nuit du 05/10/2010 sans effet.")
    assert "déjà renvoyée sans effet" in a["action"][0]


def test_r5_resent_files_pass_frictionless(quatre_nuits: Path, tmp_path: Path):
    from tests.test_nuits_echantillon import _contrat, _frictionless, _package

    fichiers = [
        quatre_nuits / "outbox" / "p3" / schemas.flux("P3_IN_AFFECTATIONS").nom_fichier(N2),
        quatre_nuits / "outbox" / "gide" / schemas.flux("GIDE_IN_INITIALISATIONS").nom_fichier(N2),
    ]
    rapport = _frictionless(_package(fichiers, _contrat()), tmp_path)
    assert rapport["valid"], [t["errors"][:2] for t in rapport["tasks"]]


def test_r5_the_ledger_records_the_resends(quatre_nuits: Path):
    import sqlalchemy as sa

    from connectors.database import Database
    from connectors.tables import emissions

    db = Database(f"sqlite:///{quatre_nuits / 'passerelle.db'}")
    renvois = db.lire(
        sa.select(emissions.c.flux, emissions.c.nuit, emissions.c.cle).where(emissions.c.renvoi),
        {"flux": pl.String, "nuit": pl.Date, "cle": pl.String},
    ).sort("flux")
    assert renvois.rows() == [
        ("GIDE_IN_INITIALISATIONS", N2, B),
        ("P3_IN_AFFECTATIONS", N2, B),
    ]


def test_r5_rerunning_the_night_of_a_stock_after_later_nights_is_byte_identical(
    quatre_nuits: Path,
):
    """Last of the module: it runs N2 again over the four nights."""
    from tests.echantillon import Execution

    avant = Execution(home=quatre_nuits)
    sorties, rapports = (
        avant.empreintes(quatre_nuits / "outbox"),
        avant.empreintes(quatre_nuits / "reports" / N2.isoformat()),
    )
    execution = executer(quatre_nuits, "--date", N2.isoformat(), inbox=quatre_nuits / "inbox")
    assert execution.code == 0, execution.sortie
    assert avant.empreintes(quatre_nuits / "outbox") == sorties
    assert avant.empreintes(quatre_nuits / "reports" / N2.isoformat()) == rapports
