"""Failure mode 4: a corrected file re-delivered under the same name with new content.

The night ran with the first version; the sender re-delivers the file, fixed, under the
same name with a new `.ok`. The re-run processes it as a new version (the ledger is keyed
by the sha256 of the bytes, not the name), the history keeps both versions, and the night's
state and outbound files follow the new one.
Guards: `ledger.connue` and the unique constraint on (nom, sha256); `rules.historique.au`
(the latest version of a night's file replaces the earlier one).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import schemas
from tests.fiabilite import DEMANDEURS, base, executer, lignes, nuit_simple, registre
from tests.inbox_builder import deposer

NUIT = dt.date(2010, 10, 4)
NOM = schemas.flux("GIDE_DEMANDEURS").nom_fichier(NUIT)


def test_fichier_corrige_sous_le_meme_nom_nouvelle_version_historique_garde_les_deux(
    tmp_path: Path,
):
    inbox, home = tmp_path / "inbox", tmp_path / "var"
    nuit_simple(inbox, NUIT)
    premiere = executer(home, "--date", NUIT.isoformat(), inbox=inbox)
    assert premiere.code == 0, premiere.sortie
    p3 = home / "outbox" / "p3" / schemas.flux("P3_IN_AFFECTATIONS").nom_fichier(NUIT)
    assert ";Testeur;Alice;" in p3.read_text(encoding="utf-8")

    corrige = [DEMANDEURS[0].replace(";Testeur;", ";Testeuse;"), DEMANDEURS[1]]
    deposer(inbox, "GIDE_DEMANDEURS", NUIT, corrige)  # same name, new bytes, new .ok
    reprise = executer(home, "--date", NUIT.isoformat(), inbox=inbox)

    assert reprise.code == 0, reprise.sortie
    versions = registre(base(home)).filter(nom=NOM)
    assert versions["statut"].to_list() == ["APPLIQUE", "APPLIQUE"]
    assert versions["sha256"].n_unique() == 2
    historique = lignes(base(home), "GIDE_DEMANDEURS")
    assert sorted(historique["nom"].to_list()) == ["Essai", "Essai", "Testeur", "Testeuse"]
    envoye = p3.read_text(encoding="utf-8")
    assert ";Testeuse;Alice;" in envoye and "Testeur;" not in envoye
