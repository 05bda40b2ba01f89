"""`passerelle valider`: the night's verdict on a partner's file, with no database.

Every bad input of the ingestion tests is judged twice, by `passerelle valider` and by a real
ingestion on SQLite (`tests/banc.py`): same verdict, same rejection motif and message, same
counts, same quarantined lines (line, field, rule, message) and the same messages in the
night's report (`rules.anomalies.fichiers`, fed from the database as the report is). Then:
no value of a file is ever printed, and the exit codes.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import schemas
from pipelines.cli import main
from reporting import chargement
from rules.anomalies.fichiers import anomalies_fichiers
from schemas.export import EXEMPLE_VALIDER, EXEMPLE_VALIDER_COMMANDE, readme_markdown
from schemas.verdict import juger
from tests.banc import NUIT, nouveau_banc
from tests.conftest import ROOT
from tests.inbox_builder import deposer

DEMANDEUR = "1234567A;Lefèvre;Zoé;01/02/1990;75112;01/03/2010"
AFFECTATION = "AF0000000001;1234567A;75012;75001;01/10/2010;ACC"
ENTRETIEN = "EN0000000001;1234567A;75012;05/10/2010;ATELIER"


def _affectation(i: int, date: str = "01/10/2010") -> str:
    return AFFECTATION.replace("AF0000000001", f"AF00000000{i:02d}").replace("01/10/2010", date)


def _p3_civis_invalide() -> bytes:
    f = schemas.flux("P3_CIVIS")
    return (f.header + "\n1234567A;75012;01/10/2010;\n").encode() + b"1234567B;75012;\xe9;\n"


@dataclass(frozen=True)
class Cas:
    """One input of the ingestion tests: a flow, `deposer`'s arguments, the threshold."""

    flux: str
    lignes: list[str] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    seuil: float | None = None  # None: the default setting (20 %)


CAS = {
    "valid_file": Cas("GIDE_DEMANDEURS", [DEMANDEUR]),
    "header_only_file": Cas("P3_ALERTES", []),
    "checksum_mismatch": Cas(
        "GIDE_AFFECTATIONS", [AFFECTATION], {"ok": b"sha256=" + b"0" * 64 + b";rows=1\n"}
    ),
    "unreadable_ok": Cas("GIDE_AFFECTATIONS", [AFFECTATION], {"ok": b"OK\n"}),
    "row_count_mismatch": Cas("GIDE_AFFECTATIONS", [AFFECTATION], {"rows": 2}),
    "wrong_header": Cas(
        "P3_ENTRETIENS",
        [ENTRETIEN],
        {"header": "id_entretien;id_de;code_ml;type_entretien;date_entretien"},
    ),
    "empty_file": Cas("P3_ENTRETIENS", options={"raw": b"", "rows": 0}),
    "utf8_in_a_gide_file": Cas("GIDE_DEMANDEURS", [DEMANDEUR], {"encoding": "utf-8"}),
    "windows_1252_in_a_gide_file": Cas(
        "GIDE_DEMANDEURS", [DEMANDEUR.replace("Zoé", "Chlo\u0153")], {"encoding": "cp1252"}
    ),
    "invalid_utf8_in_a_p3_file": Cas("P3_CIVIS", options={"raw": _p3_civis_invalide(), "rows": 2}),
    "utf8_bom": Cas(
        "P3_ENTRETIENS",
        options={
            "raw": (
                "\ufeff" + schemas.flux("P3_ENTRETIENS").header + "\n" + ENTRETIEN + "\n"
            ).encode(),
            "rows": 1,
        },
    ),
    "crlf_line_ends": Cas(
        "P3_ENTRETIENS",
        options={
            "raw": (schemas.flux("P3_ENTRETIENS").header + "\r\n" + ENTRETIEN + "\r\n").encode(),
            "rows": 1,
        },
    ),
    "too_many_or_too_few_columns": Cas(
        "GIDE_AFFECTATIONS",
        [AFFECTATION, _affectation(2) + ";extra", "AF0000000003;1234567A"],
        seuil=1.0,
    ),
    "unpaired_quotes": Cas(
        "P3_ENTRETIENS", [ENTRETIEN, 'EN0000000002;"1234567A;75012;05/10/2010;ATELIER'], seuil=1.0
    ),
    "impossible_date": Cas(
        "GIDE_DEMANDEURS",
        [DEMANDEUR, DEMANDEUR.replace("01/02/1990", "31/02/2010").replace("567A", "567B")],
        seuil=1.0,
    ),
    "bad_pattern": Cas("GIDE_DEMANDEURS", [DEMANDEUR.replace("1234567A", "12X4567A")], seuil=1.0),
    "value_outside_enum": Cas("P3_ENTRETIENS", [ENTRETIEN.replace("ATELIER", "VISIO")], seuil=1.0),
    "cross_field_rule": Cas(
        "GIDE_STATUTS",
        ["2000001A;INSCRIT;01/09/2010;;", "2000002B;RADIE;01/09/2010;;"],
        seuil=1.0,
    ),
    "identical_duplicate": Cas("GIDE_AFFECTATIONS", [AFFECTATION, AFFECTATION]),
    "conflicting_duplicate": Cas(
        "GIDE_AFFECTATIONS",
        [AFFECTATION, AFFECTATION.replace(";ACC", ";CIV"), _affectation(2)],
        seuil=1.0,
    ),
    "share_of_bad_rows_at_the_threshold": Cas(
        "GIDE_AFFECTATIONS",
        [_affectation(i) for i in range(1, 5)] + [_affectation(9, "31/09/2010")],
    ),
    "share_of_bad_rows_above_the_threshold": Cas(
        "GIDE_AFFECTATIONS",
        [_affectation(i) for i in range(11, 14)]
        + [_affectation(18, "31/09/2010"), _affectation(19, "31/09/2010")],
    ),
    "rejected_stock": Cas("GIDE_STOCK", ["x;y"], {"header": "id_affectation;statut"}),
}


def _valider(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["valider", *args])
    sortie = capsys.readouterr()
    return code, sortie.out, sortie.err


def _ce_que_dit_la_nuit(banc, nom: str) -> dict[str, Any]:
    """The night's verdict on `nom`, read back from the ledger, the quarantine and the
    file anomalies of the night's report (loaded from the database as the report is)."""
    banc.ingerer(NUIT)
    [registre] = (
        chargement.fichiers_de_la_nuit(banc.db, NUIT)
        .filter(pl.col("nom") == nom)
        .iter_rows(named=True)
    )
    entrees = chargement.entrees_anomalies(banc.db, NUIT, {}, emise=False)
    anomalies = pl.concat(anomalies_fichiers(entrees, NUIT)).filter(pl.col("fichier") == nom)
    if registre["statut"] == "REJETE":
        verdict = "REJETE"
    elif registre["quarantaine"]:
        verdict = "ACCEPTE_AVEC_QUARANTAINE"
    else:
        verdict = "ACCEPTE"
    return {
        "verdict": verdict,
        "motif_rejet": registre["motif_rejet"],
        "message_rejet": registre["message_rejet"],
        "appliquees": registre["lignes_appliquees"] or 0,
        "doublons": registre["doublons"] or 0,
        "quarantaine": registre["quarantaine"] or 0,
        "conflits": registre["conflits"] or 0,
        "anomalies": anomalies.select("code", "severite", "message").to_dicts(),
        "lignes_en_quarantaine": banc.quarantaine()
        .filter(pl.col("nom") == nom)
        .select("ligne", "champ", "regle", "message")
        .to_dicts(),
    }


@pytest.mark.parametrize("cas", list(CAS.values()), ids=list(CAS))
def test_valider_gives_the_same_verdict_and_messages_as_the_night_for_every_bad_input(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    cas: Cas,
):
    banc = nouveau_banc(tmp_path)
    if cas.seuil is not None:
        banc.reglages = banc.reglages.avec(seuil_quarantaine=cas.seuil)
        monkeypatch.setenv("PASSERELLE_SEUIL_QUARANTAINE", str(cas.seuil))
    else:
        monkeypatch.delenv("PASSERELLE_SEUIL_QUARANTAINE", raising=False)
    chemin = deposer(banc.inbox, cas.flux, NUIT, cas.lignes, **cas.options)
    avant = {p.name: p.read_bytes() for p in banc.inbox.iterdir()}

    code, out, _ = _valider(capsys, str(chemin), "--format", "json")

    assert {p.name: p.read_bytes() for p in banc.inbox.iterdir()} == avant  # read only
    [dit] = json.loads(out)["fichiers"]
    nuit = _ce_que_dit_la_nuit(banc, chemin.name)
    assert {k: dit[k] for k in nuit} == nuit
    assert dit["ok"] == (
        "NON_CONFORME"
        if nuit["motif_rejet"] in ("OK_ILLISIBLE", "CHECKSUM", "NB_LIGNES")
        else "CONFORME"
    )
    assert code == (0 if nuit["verdict"] == "ACCEPTE" else 3)


def test_the_bad_inputs_cover_every_verdict_and_rejection_motif(tmp_path: Path):
    """The parametrised comparison above is only as good as its inputs."""
    vus: set[str] = set()
    for i, cas in enumerate(CAS.values()):
        chemin = deposer(tmp_path / str(i), cas.flux, NUIT, cas.lignes, **cas.options)
        ok = Path(f"{chemin}.ok").read_bytes()
        v = juger(chemin.read_bytes(), schemas.flux(cas.flux), ok, cas.seuil or 0.20)
        vus |= {v.verdict, v.rejet.motif if v.rejet is not None else ""}
    verdicts = {"ACCEPTE", "ACCEPTE_AVEC_QUARANTAINE", "REJETE"}
    motifs = {"ENTETE", "ENCODAGE", "CHECKSUM", "NB_LIGNES", "OK_ILLISIBLE", "SEUIL"}
    assert verdicts | motifs <= vus


NOM_DISTINCTIF = "Zéphyrinette-Quarzazate"
NAISSANCE_DISTINCTIVE = "17/08/1993"


@pytest.mark.parametrize("format_", ["texte", "csv", "json"])
def test_personal_values_of_quarantined_rows_are_never_printed(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    format_: str,
):
    monkeypatch.setenv("PASSERELLE_SEUIL_QUARANTAINE", "1.0")
    personne = f"7654321Z;{NOM_DISTINCTIF};Prénomrare;{NAISSANCE_DISTINCTIVE};75112;01/03/2010"
    lignes = [
        DEMANDEUR,
        personne.replace("01/03/2010", "31/02/2010"),  # an impossible date: quarantined
        personne.replace("7654321Z", "76X4321Z"),  # a bad pattern
        personne + ";en trop",  # too many fields: the raw line is quarantined
        personne.replace("7654321Z", "1234567A"),  # the same key as line 2: a conflict
    ]
    chemin = deposer(tmp_path / "inbox", "GIDE_DEMANDEURS", NUIT, lignes)

    code, out, err = _valider(capsys, str(chemin), "--format", format_)

    assert code == 3
    assert "ligne 3" in out or '"ligne": 3' in out or ";3;" in out  # the lines are listed
    for valeur in (NOM_DISTINCTIF, "Quarzazate", "Prénomrare", NAISSANCE_DISTINCTIVE, "1993"):
        assert valeur not in out and valeur not in err, (valeur, format_)
    for valeur in ("Lefèvre", "Zoé", "01/02/1990", "76X4321Z", "en trop"):
        assert valeur not in out and valeur not in err, (valeur, format_)


def test_texte_lists_each_quarantined_line_and_ends_with_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("PASSERELLE_SEUIL_QUARANTAINE", raising=False)
    inbox = tmp_path / "inbox"
    bon = deposer(inbox, "GIDE_DEMANDEURS", NUIT, [DEMANDEUR])
    lignes = [_affectation(i) for i in range(1, 5)] + [_affectation(9, "31/09/2010")]
    moyen = deposer(inbox, "GIDE_AFFECTATIONS", NUIT, lignes)
    mauvais = deposer(inbox, "P3_ENTRETIENS", NUIT, [ENTRETIEN], rows=3)

    code, out, _ = _valider(capsys, str(bon), str(moyen), str(mauvais))

    assert code == 3
    lignes_sortie = out.splitlines()
    assert lignes_sortie[0] == "GIDE_DEMANDEURS_20101004.csv (GIDE_DEMANDEURS) : ACCEPTÉ"
    assert (
        "GIDE_AFFECTATIONS_20101004.csv (GIDE_AFFECTATIONS) : ACCEPTÉ AVEC LIGNES EN QUARANTAINE"
        in lignes_sortie
    )
    assert (
        "  ligne 6, champ date_affectation, règle date : date invalide (format attendu JJ/MM/AAAA)"
        in lignes_sortie
    )
    assert "P3_ENTRETIENS_20101004.csv (P3_ENTRETIENS) : REJETÉ" in lignes_sortie
    assert any("(NB_LIGNES)" in ligne for ligne in lignes_sortie)
    assert lignes_sortie[-1] == (
        "Bilan : 3 fichiers ; 1 accepté en entier, 1 accepté avec 1 ligne en quarantaine, 1 rejeté."
    )


def test_csv_output_opens_as_a_table_with_a_row_per_file_anomaly_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("PASSERELLE_SEUIL_QUARANTAINE", raising=False)
    lignes = [_affectation(i) for i in range(1, 5)] + [_affectation(9, "31/09/2010")]
    chemin = deposer(tmp_path / "inbox", "GIDE_AFFECTATIONS", NUIT, lignes)
    code = main(["valider", str(chemin), "--format", "csv"])
    sortie = capsys.readouterr()
    assert code == 3
    table = pl.read_csv(io.BytesIO(sortie.out.encode()), separator=";", infer_schema=False)
    assert table["type"].to_list() == ["fichier", "anomalie", "ligne"]
    assert table.filter(pl.col("type") == "ligne").select("ligne", "champ", "regle").rows() == [
        ("6", "date_affectation", "date")
    ]
    assert sortie.err.startswith("Bilan : 1 fichier ;")  # stdout stays one table


def test_missing_ok_is_said_and_the_content_alone_is_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    chemin = deposer(tmp_path / "inbox", "GIDE_DEMANDEURS", NUIT, [DEMANDEUR], avec_ok=False)
    code, out, _ = _valider(capsys, str(chemin))
    assert code == 0
    assert ".ok : absent" in out and "ACCEPTÉ" in out
    code, out, _ = _valider(capsys, str(chemin), "--format", "json")
    assert json.loads(out)["fichiers"][0]["ok"] == "ABSENT"


def test_exit_0_when_every_file_would_be_applied_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    inbox = tmp_path / "inbox"
    a = deposer(inbox, "GIDE_DEMANDEURS", NUIT, [DEMANDEUR])
    b = deposer(inbox, "GIDE_AFFECTATIONS", NUIT, [AFFECTATION, AFFECTATION])  # identical repeat
    code, out, _ = _valider(capsys, str(a), str(b))
    assert code == 0, out
    assert out.splitlines()[-1].startswith("Bilan : 2 fichiers ; 2 acceptés en entier")


def test_exit_3_when_a_line_would_be_quarantined_or_a_file_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PASSERELLE_SEUIL_QUARANTAINE", "1.0")
    inbox = tmp_path / "inbox"
    bon = deposer(inbox, "GIDE_DEMANDEURS", NUIT, [DEMANDEUR])
    quarantaine = deposer(inbox, "P3_ENTRETIENS", NUIT, [ENTRETIEN.replace("ATELIER", "X")])
    assert _valider(capsys, str(bon), str(quarantaine))[0] == 3
    rejete = deposer(inbox, "GIDE_AFFECTATIONS", NUIT, [AFFECTATION], rows=5)
    assert _valider(capsys, str(bon), str(rejete))[0] == 3


def test_a_ok_given_with_its_file_is_read_as_its_trigger_not_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    chemin = deposer(tmp_path / "inbox", "GIDE_DEMANDEURS", NUIT, [DEMANDEUR])
    code, out, _ = _valider(capsys, str(chemin), f"{chemin}.ok")
    assert code == 0
    assert out.splitlines()[-1].startswith("Bilan : 1 fichier ;")


@pytest.mark.parametrize(
    ("nom", "message"),
    [
        ("LISEZ-MOI.txt", "nom de fichier hors contrat"),
        ("GIDE_INCONNU_20101004.csv", "n'est pas un flux du contrat"),
        ("P3_IN_SORTIES_20101004.csv", "flux émis par Passerelle"),
        ("GIDE_DEMANDEURS_20101304.csv", "nom de fichier hors contrat"),
        ("GIDE_DEMANDEURS_20101004.csv.ok", "un .ok seul"),
    ],
)
def test_a_name_that_is_no_inbound_flow_is_a_usage_error_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], nom: str, message: str
):
    chemin = tmp_path / nom
    chemin.write_text("x")
    bon = deposer(tmp_path / "inbox", "GIDE_DEMANDEURS", NUIT, [DEMANDEUR])
    code, out, err = _valider(capsys, str(bon), str(chemin))
    assert code == 2
    assert out == ""  # nothing judged before every name is checked
    assert message in err and err.startswith("passerelle : ")


def test_a_missing_file_is_a_usage_error_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code, out, err = _valider(capsys, str(tmp_path / "GIDE_DEMANDEURS_20101004.csv"))
    assert (code, out) == (2, "")
    assert "fichier introuvable" in err


@pytest.mark.parametrize("args", [[], ["--format", "xml", "GIDE_DEMANDEURS_20101004.csv"]])
def test_argparse_errors_of_valider_exit_2(args: list[str]):
    assert main(["valider", *args]) == 2


def test_bad_threshold_setting_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PASSERELLE_SEUIL_QUARANTAINE", "beaucoup")
    chemin = deposer(tmp_path / "inbox", "GIDE_DEMANDEURS", NUIT, [DEMANDEUR])
    code, _, err = _valider(capsys, str(chemin))
    assert code == 2 and "PASSERELLE_SEUIL_QUARANTAINE" in err


def test_the_documented_example_is_what_valider_prints_on_the_shipped_sample(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("PASSERELLE_SEUIL_QUARANTAINE", raising=False)
    inbox = ROOT / "fixtures" / "echantillon" / "inbox"
    fichiers = sorted(str(p) for p in inbox.glob("P3_*_20101008.csv"))
    code, out, _ = _valider(capsys, *fichiers)
    assert code == 3
    assert out == EXEMPLE_VALIDER
    exemple = f"$ {EXEMPLE_VALIDER_COMMANDE}\n{EXEMPLE_VALIDER}$ echo $?\n3\n"
    assert exemple in (ROOT / "README.md").read_text(encoding="utf-8")
    assert exemple in readme_markdown()


def test_a_library_failure_names_the_file_never_its_values_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    from schemas import verdict

    def trier_qui_casse(lecture, flux):  # a real polars error, whose message quotes values
        return lecture.lignes.select(pl.concat_str("nom", "date_naissance").cast(pl.Int64))

    monkeypatch.setattr(verdict, "trier", trier_qui_casse)
    chemin = deposer(tmp_path / "inbox", "GIDE_DEMANDEURS", NUIT, [DEMANDEUR])
    code, out, err = _valider(capsys, str(chemin))
    assert code == 1
    assert f"{chemin.name} : erreur inattendue (InvalidOperationError)" in err
    for valeur in ("Lefèvre", "01/02/1990"):
        assert valeur not in out and valeur not in err
