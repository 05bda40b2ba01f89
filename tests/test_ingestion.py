"""Ingestion of a night: every bad input of the contract, each with its own test.

For each: a clear message naming the file, line and field; nothing lost (applied +
duplicates + quarantined = .ok rows, or the whole file set aside untouched); the rest of
the night processed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import polars as pl
import sqlalchemy as sa

import schemas
from connectors.tables import historique
from pipelines import completude, ingestion
from rules.historique import au
from tests.banc import NUIT, Banc
from tests.inbox_builder import deposer, nuit_vide

DEMANDEUR = "1234567A;Lefèvre;Zoé;01/02/1990;75112;01/03/2010"
AFFECTATION = "AF0000000001;1234567A;75012;75001;01/10/2010;ACC"


def _un(resultats: list[ingestion.ResultatFichier]) -> ingestion.ResultatFichier:
    assert len(resultats) == 1, resultats
    return resultats[0]


def _rien_perdu(r: ingestion.ResultatFichier) -> None:
    assert r.appliquees + r.doublons + r.quarantaine == r.lignes_ok


def test_valid_night_is_applied_typed_and_complete(banc: Banc):
    nuit_vide(banc.inbox, NUIT, sauf=("GIDE_DEMANDEURS",))
    deposer(banc.inbox, "GIDE_DEMANDEURS", NUIT, [DEMANDEUR])
    res = banc.ingerer()
    r = _un(res["GIDE_DEMANDEURS"])
    assert (r.statut, r.appliquees) == ("APPLIQUE", 1)
    rows = banc.lignes("GIDE_DEMANDEURS")
    assert rows["nom"].to_list() == ["Lefèvre"]  # latin-1 decoded for real
    assert rows["date_naissance"].to_list() == [dt.date(1990, 2, 1)]  # stored as a date
    assert banc.bilan().complete


def test_missing_ok_file_is_not_read_and_the_flow_counts_as_missing(banc: Banc):
    nuit_vide(banc.inbox, NUIT, sauf=("P3_ALERTES",))
    deposer(banc.inbox, "P3_ALERTES", NUIT, [], avec_ok=False)
    res = banc.ingerer()
    assert res["P3_ALERTES"] == []
    bilan = banc.bilan()
    assert not bilan.complete
    assert [(m.flux, m.raison) for m in bilan.manquants] == [("P3_ALERTES", "SANS_OK")]
    assert "P3_ALERTES_20101004.csv" in bilan.resume()


def test_absent_mandatory_flow_is_recorded_missing(banc: Banc):
    nuit_vide(banc.inbox, NUIT, sauf=("DUDE_ACCEPTATIONS",))
    banc.ingerer()
    bilan = banc.bilan()
    completude.enregistrer(banc.db, bilan, emise=False, forcee=False)
    manquants = banc.db.lire("select flux, nom_attendu, raison from flux_manquants")
    assert manquants.rows() == [("DUDE_ACCEPTATIONS", "DUDE_ACCEPTATIONS_20101004.csv", "ABSENT")]


def test_checksum_mismatch_rejects_the_file_whole_and_sets_it_aside_untouched(banc: Banc):
    nuit_vide(banc.inbox, NUIT, sauf=("GIDE_AFFECTATIONS",))
    chemin = deposer(
        banc.inbox,
        "GIDE_AFFECTATIONS",
        NUIT,
        [AFFECTATION],
        ok=b"sha256=" + b"0" * 64 + b";rows=1\n",
    )
    r = _un(banc.ingerer()["GIDE_AFFECTATIONS"])
    assert (r.statut, r.motif_rejet) == ("REJETE", "CHECKSUM")
    assert "GIDE_AFFECTATIONS" not in (r.message or "")  # the message is about the checksum
    assert Path(r.chemin_de_cote).read_bytes() == chemin.read_bytes()
    assert Path(r.chemin_de_cote).parent != banc.inbox
    assert banc.lignes("GIDE_AFFECTATIONS").height == 0
    assert chemin.exists()  # the sender's inbox is left as it is
    bilan = banc.bilan()
    assert not bilan.complete and [x.nom for x in bilan.rejetes] == [chemin.name]


def test_row_count_mismatch_rejects_the_file_whole(banc: Banc):
    nuit_vide(banc.inbox, NUIT, sauf=("GIDE_AFFECTATIONS",))
    deposer(banc.inbox, "GIDE_AFFECTATIONS", NUIT, [AFFECTATION], rows=2)
    r = _un(banc.ingerer()["GIDE_AFFECTATIONS"])
    assert (r.statut, r.motif_rejet) == ("REJETE", "NB_LIGNES")
    assert "1 lignes de données au lieu des 2" in (r.message or "")
    assert banc.lignes("GIDE_AFFECTATIONS").height == 0


def test_wrong_header_rejects_the_file_naming_line_1(banc: Banc):
    nuit_vide(banc.inbox, NUIT, sauf=("P3_ENTRETIENS",))
    deposer(
        banc.inbox,
        "P3_ENTRETIENS",
        NUIT,
        ["EN0000000001;1234567A;75012;05/10/2010;ATELIER"],
        header="id_entretien;id_de;code_ml;type_entretien;date_entretien",
    )
    r = _un(banc.ingerer()["P3_ENTRETIENS"])
    assert (r.statut, r.motif_rejet) == ("REJETE", "ENTETE")
    assert (r.message or "").startswith("ligne 1")


def test_utf8_bytes_in_a_gide_file_reject_it_for_its_encoding(banc: Banc):
    nuit_vide(banc.inbox, NUIT, sauf=("GIDE_DEMANDEURS",))
    deposer(banc.inbox, "GIDE_DEMANDEURS", NUIT, [DEMANDEUR], encoding="utf-8")
    r = _un(banc.ingerer()["GIDE_DEMANDEURS"])
    assert (r.statut, r.motif_rejet) == ("REJETE", "ENCODAGE")
    assert r.message == "ligne 2 : texte encodé en UTF-8 au lieu de ISO-8859-1"


def test_invalid_utf8_in_a_p3_file_rejects_it_naming_the_line(banc: Banc):
    nuit_vide(banc.inbox, NUIT, sauf=("P3_CIVIS",))
    f = schemas.flux("P3_CIVIS")
    raw = (f.header + "\n1234567A;75012;01/10/2010;\n").encode() + b"1234567B;75012;\xe9;\n"
    deposer(banc.inbox, "P3_CIVIS", NUIT, raw=raw, rows=2)
    r = _un(banc.ingerer()["P3_CIVIS"])
    assert (r.statut, r.motif_rejet) == ("REJETE", "ENCODAGE")
    assert r.message == "ligne 3 : octets invalides en UTF-8"


def _fichier_avec(banc: Banc, flux: str, lignes: list[str]) -> ingestion.ResultatFichier:
    nuit_vide(banc.inbox, NUIT, sauf=(flux,))
    deposer(banc.inbox, flux, NUIT, lignes)
    # single bad rows are the point here, not the threshold
    banc.reglages = banc.reglages.avec(seuil_quarantaine=1.0)
    r = _un(banc.ingerer()[flux])
    assert r.statut == "APPLIQUE"
    _rien_perdu(r)
    return r


def test_row_with_too_many_or_too_few_columns_costs_one_row(banc: Banc):
    r = _fichier_avec(
        banc,
        "GIDE_AFFECTATIONS",
        [AFFECTATION, AFFECTATION.replace("01;", "02;") + ";extra", "AF0000000003;1234567A"],
    )
    assert (r.appliquees, r.quarantaine) == (1, 2)
    q = banc.quarantaine()
    assert q.select("ligne", "champ", "regle").rows() == [
        (3, "*", "nb_champs"),
        (4, "*", "nb_champs"),
    ]
    assert (
        q["message"][0]
        == "nombre de champs incorrect : 7 au lieu de 6 (ou guillemets non appariés)"
    )


def test_impossible_date_is_quarantined_naming_line_and_field(banc: Banc):
    r = _fichier_avec(
        banc,
        "GIDE_DEMANDEURS",
        [DEMANDEUR, DEMANDEUR.replace("01/02/1990", "31/02/2010").replace("567A", "567B")],
    )
    assert (r.appliquees, r.quarantaine) == (1, 1)
    q = banc.quarantaine().row(0, named=True)
    assert (q["ligne"], q["champ"], q["regle"]) == (3, "date_naissance", "date")
    assert q["message"] == "date invalide (format attendu JJ/MM/AAAA)"


def test_bad_pattern_is_quarantined_without_quoting_the_value(banc: Banc):
    r = _fichier_avec(banc, "GIDE_DEMANDEURS", [DEMANDEUR.replace("1234567A", "12X4567A")])
    assert r.quarantaine == 1
    q = banc.quarantaine().row(0, named=True)
    assert (q["champ"], q["regle"]) == ("id_de", "motif")
    assert "12X4567A" not in q["message"] and "Lefèvre" not in q["message"]


def test_value_outside_enum_is_quarantined(banc: Banc):
    r = _fichier_avec(banc, "P3_ENTRETIENS", ["EN0000000001;1234567A;75012;05/10/2010;VISIO"])
    assert r.quarantaine == 1
    q = banc.quarantaine().row(0, named=True)
    assert (q["ligne"], q["champ"], q["regle"]) == (2, "type_entretien", "liste")


def test_identical_duplicate_is_kept_once_and_counted(banc: Banc):
    r = _fichier_avec(banc, "GIDE_AFFECTATIONS", [AFFECTATION, AFFECTATION])
    assert (r.appliquees, r.doublons, r.quarantaine) == (1, 1, 0)


def test_conflicting_duplicate_quarantines_both_rows(banc: Banc):
    autre = AFFECTATION.replace(";ACC", ";CIV")
    r = _fichier_avec(
        banc, "GIDE_AFFECTATIONS", [AFFECTATION, autre, AFFECTATION.replace("01;", "02;", 1)]
    )
    assert (r.appliquees, r.quarantaine, r.conflits) == (1, 2, 2)
    regles = banc.quarantaine().select("ligne", "regle").rows()
    assert regles == [(2, "doublon_conflictuel"), (3, "doublon_conflictuel")]


def test_header_only_file_is_valid_and_applied_empty(banc: Banc):
    nuit_vide(banc.inbox, NUIT)
    res = banc.ingerer()
    assert all(_un(res[f.nom]).statut == "APPLIQUE" for f in schemas.ENTRANTS if f.obligatoire)
    assert banc.bilan().complete


def test_file_dated_after_the_night_is_left_for_its_night_and_reported(banc: Banc):
    nuit_vide(banc.inbox, NUIT)
    deposer(banc.inbox, "GIDE_AFFECTATIONS", NUIT + dt.timedelta(days=1), [AFFECTATION])
    res = banc.ingerer()
    assert [r.nom for r in res["GIDE_AFFECTATIONS"]] == ["GIDE_AFFECTATIONS_20101004.csv"]
    assert ("GIDE_AFFECTATIONS_20101005.csv", "DATE_FUTURE") in banc.bilan().inattendus
    # ... and it lands on its own night
    nuit_vide(banc.inbox, NUIT + dt.timedelta(days=1), sauf=("GIDE_AFFECTATIONS",))
    res = banc.ingerer(NUIT + dt.timedelta(days=1))
    assert _un(res["GIDE_AFFECTATIONS"]).appliquees == 1


def test_unknown_file_name_is_ignored_and_reported(banc: Banc):
    nuit_vide(banc.inbox, NUIT)
    (banc.inbox / "LISEZ-MOI.txt").write_text("bonjour")
    (banc.inbox / "GIDE_INCONNU_20101004.csv").write_text("x")
    (banc.inbox / "P3_IN_SORTIES_20101004.csv").write_text("x")  # an outbound name, inbound
    banc.ingerer()
    bilan = banc.bilan()
    assert bilan.complete
    assert {n for n, raison in bilan.inattendus if raison == "NOM_INCONNU"} == {
        "LISEZ-MOI.txt",
        "GIDE_INCONNU_20101004.csv",
        "P3_IN_SORTIES_20101004.csv",
    }


def test_share_of_bad_rows_above_threshold_rejects_the_file_whole(banc: Banc):
    nuit_vide(banc.inbox, NUIT, sauf=("GIDE_AFFECTATIONS",))

    def ligne(i: int, date: str = "01/10/2010") -> str:
        return AFFECTATION.replace("AF0000000001", f"AF00000000{i:02d}").replace("01/10/2010", date)

    lignes = [ligne(i) for i in range(1, 5)] + [ligne(9, "31/09/2010")]
    deposer(banc.inbox, "GIDE_AFFECTATIONS", NUIT, lignes)
    r = _un(banc.ingerer()["GIDE_AFFECTATIONS"])  # 1 of 5 = 20 %: not above the threshold
    assert r.statut == "APPLIQUE"
    nuit2 = NUIT + dt.timedelta(days=1)
    nuit_vide(banc.inbox, nuit2, sauf=("GIDE_AFFECTATIONS",))
    deposer(
        banc.inbox,
        "GIDE_AFFECTATIONS",
        nuit2,
        [ligne(i) for i in range(11, 14)] + [ligne(18, "31/09/2010"), ligne(19, "31/09/2010")],
    )
    r = _un(banc.ingerer(nuit2)["GIDE_AFFECTATIONS"])  # 2 of 5 = 40 %
    assert (r.statut, r.motif_rejet, r.appliquees, r.quarantaine) == ("REJETE", "SEUIL", 0, 2)
    assert (
        banc.db.lire(sa.select(historique["GIDE_AFFECTATIONS"].c.fichier_id).distinct()).height == 1
    )  # only the first night's file has rows


def test_same_file_twice_is_applied_once(banc: Banc):
    nuit_vide(banc.inbox, NUIT, sauf=("GIDE_AFFECTATIONS",))
    deposer(banc.inbox, "GIDE_AFFECTATIONS", NUIT, [AFFECTATION])
    banc.ingerer()
    again = banc.ingerer()
    assert all(v == [] for v in again.values())
    assert banc.lignes("GIDE_AFFECTATIONS").height == 1


def test_corrected_file_under_the_same_name_is_a_new_version_that_replaces_the_first(banc: Banc):
    nuit_vide(banc.inbox, NUIT, sauf=("GIDE_AFFECTATIONS",))
    deposer(
        banc.inbox, "GIDE_AFFECTATIONS", NUIT, [AFFECTATION, AFFECTATION.replace("01;", "02;", 1)]
    )
    banc.ingerer()
    deposer(banc.inbox, "GIDE_AFFECTATIONS", NUIT, [AFFECTATION.replace("75012", "75013")])
    r = _un(banc.ingerer()["GIDE_AFFECTATIONS"])
    assert r.statut == "APPLIQUE"
    assert banc.lignes("GIDE_AFFECTATIONS").height == 3  # history keeps both versions
    en_vigueur = au(ingestion.charger_historique(banc.db, NUIT), NUIT)["GIDE_AFFECTATIONS"]
    assert en_vigueur.collect().select("id_affectation", "code_ml").rows() == [
        ("AF0000000001", "75013")
    ]


def test_correction_on_a_later_night_wins_and_the_earlier_value_stays_in_history(banc: Banc):
    nuit_vide(banc.inbox, NUIT, sauf=("GIDE_DEMANDEURS",))
    deposer(banc.inbox, "GIDE_DEMANDEURS", NUIT, [DEMANDEUR])
    banc.ingerer()
    nuit2 = NUIT + dt.timedelta(days=1)
    nuit_vide(banc.inbox, nuit2, sauf=("GIDE_DEMANDEURS",))
    deposer(banc.inbox, "GIDE_DEMANDEURS", nuit2, [DEMANDEUR.replace("75112", "75113")])
    banc.ingerer(nuit2)
    h = ingestion.charger_historique(banc.db, nuit2)
    assert au(h, NUIT)["GIDE_DEMANDEURS"].collect()["code_commune"].to_list() == ["75112"]
    assert au(h, nuit2)["GIDE_DEMANDEURS"].collect()["code_commune"].to_list() == ["75113"]
    assert banc.lignes("GIDE_DEMANDEURS").height == 2


def test_rerun_changes_nothing_in_the_database(banc: Banc):
    nuit_vide(banc.inbox, NUIT, sauf=("GIDE_DEMANDEURS",))
    deposer(banc.inbox, "GIDE_DEMANDEURS", NUIT, [DEMANDEUR, "bad"])
    banc.reglages = banc.reglages.avec(seuil_quarantaine=0.9)
    banc.ingerer()

    def photo() -> list[str]:
        tables = ["fichiers", "quarantaine", "quarantaine_contenu", "h_gide_demandeurs"]
        out = []
        for t in tables:
            frame = banc.db.lire(f"select * from {t}")  # noqa: S608 (fixed names)
            frame = frame.drop(
                [c for c in ("recu_le", "traite_le", "reclame_le") if c in frame.columns]
            )
            out.append(hashlib.sha256(frame.sort(frame.columns).write_csv().encode()).hexdigest())
        return out

    avant = photo()
    banc.ingerer()
    assert photo() == avant


def test_crashed_claim_is_taken_over_and_its_partial_rows_replaced(banc: Banc):
    from connectors import ledger

    nuit_vide(banc.inbox, NUIT, sauf=("GIDE_AFFECTATIONS",))
    deposer(banc.inbox, "GIDE_AFFECTATIONS", NUIT, [AFFECTATION])
    f = schemas.flux("GIDE_AFFECTATIONS")
    ingestion.atterrir(banc.depot, banc.db, f, NUIT, banc.reglages)
    version = ledger.a_valider(banc.db, f.nom, NUIT, dt.timedelta(minutes=30))[0]
    assert ledger.reclamer(banc.db, version, dt.timedelta(minutes=30)) is not None
    # the claimant dies after writing part of the rows
    banc.db.inserer(
        historique[f.nom],
        pl.DataFrame(
            {"fichier_id": [version.id], "ligne": [99], "id_affectation": ["AF9999999999"]}
        ),
    )
    assert ingestion.valider(banc.db, f, NUIT, banc.reglages) == []  # still held
    banc.reglages = banc.reglages.avec(reclamation_minutes=0.0)
    r = _un(ingestion.valider(banc.db, f, NUIT, banc.reglages))
    assert r.statut == "APPLIQUE"
    assert banc.lignes(f.nom)["id_affectation"].to_list() == ["AF0000000001"]
