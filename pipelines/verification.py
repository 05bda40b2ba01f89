"""`passerelle valider`: will this file pass? The night's verdict, before sending it.

A partner team (GIDE, DUDE, Parcours 3, the REF lists) checks its files in its own CI before
it drops them: no database, no state, no Dagster. Each file is judged by the night's own code
(`schemas.verdict`: the `.ok`, decoding, line structure, schema, duplicates and conflicts,
threshold) and worded by the night's own report (`rules.anomalies.fichiers`: FICHIER_REJETE
or STOCK_REJETE, LIGNES_EN_QUARANTAINE, DOUBLON_CONFLICTUEL), fed the ledger row and the
quarantine reasons the night would record. So a verdict and its messages are the night's,
not a second implementation that could drift.

**Readings taken:**

- The flow is read from the file's name, `<FLUX>_<AAAAMMJJ>.csv`; a name that is no inbound
  flow of the contract is a usage error (the night would ignore the file, NOM_INCONNU).
- The `.ok` is `FICHIER.ok` beside the file. When it is there it is checked as the night
  checks it (readable, the file's checksum, its row count). When it is absent the content is
  judged alone and the output says so: the night never reads a file without its `.ok`, but a
  sender's CI often checks the CSV before it writes the `.ok`. An absent `.ok` does not
  change the exit code.
- The threshold is the night's setting, PASSERELLE_SEUIL_QUARANTAINE (default 20 %).
- What is printed is identifiers, counts, line numbers, fields, rules and the contract's
  French messages: never a value of the file (names and birth dates are personal data).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

import schemas
from rules.anomalies.entrees import SCHEMA_FICHIERS, SCHEMA_MOTIFS, EntreesAnomalies
from rules.anomalies.fichiers import doublon_conflictuel, fichier_rejete, lignes_en_quarantaine
from schemas.contract import Flux, NomFichier
from schemas.dialect import LIGNE
from schemas.verdict import ACCEPTE, ACCEPTE_AVEC_QUARANTAINE, REJETE, Verdict, juger

# What is known of the `.ok` beside a file.
OK_ABSENT = "ABSENT"  # no `.ok` beside the file: content judged alone
OK_CONFORME = "CONFORME"  # readable, announces the file's checksum (and row count, when read)
OK_NON_CONFORME = "NON_CONFORME"  # unreadable, or another checksum or row count

_MOTIFS_OK = ("OK_ILLISIBLE", "CHECKSUM", "NB_LIGNES")

LIBELLES = {
    ACCEPTE: "accepté",
    ACCEPTE_AVEC_QUARANTAINE: "accepté avec lignes en quarantaine",
    REJETE: "rejeté",
}

COLONNES_QUARANTAINE = {
    "ligne": pl.Int64,
    "champ": pl.String,
    "regle": pl.String,
    "message": pl.String,
}
COLONNES_ANOMALIES = {"code": pl.String, "severite": pl.String, "message": pl.String}


class NomHorsContrat(ValueError):
    """A file name that is no inbound flow of the contract (a usage error)."""


def flux_du_nom(nom: str) -> tuple[Flux, dt.date]:
    """The inbound flow and the date a file name carries; NomHorsContrat otherwise."""
    nf = NomFichier.parse(nom)
    attendus = ", ".join(f.nom for f in schemas.ENTRANTS)
    if nf is None:
        raise NomHorsContrat(
            f"{nom} : nom de fichier hors contrat (attendu <FLUX>_<AAAAMMJJ>.csv, "
            f"FLUX parmi {attendus})"
        )
    if not schemas.est_flux(nf.flux):
        raise NomHorsContrat(f"{nom} : {nf.flux} n'est pas un flux du contrat ({attendus})")
    flux = schemas.flux(nf.flux)
    if not flux.entrant:
        raise NomHorsContrat(
            f"{nom} : {flux.nom} est un flux émis par Passerelle, pas un fichier à lui envoyer"
        )
    return flux, nf.date


@dataclass(frozen=True)
class Examen:
    """One file judged: its flow, what its `.ok` says, the verdict and the report's words."""

    nom: str
    flux: Flux
    date_fichier: dt.date
    ok_present: bool
    verdict: Verdict

    @property
    def etat_ok(self) -> str:
        if not self.ok_present:
            return OK_ABSENT
        rejet = self.verdict.rejet
        return OK_NON_CONFORME if rejet is not None and rejet.motif in _MOTIFS_OK else OK_CONFORME

    @property
    def quarantaine(self) -> pl.DataFrame:
        """One row per (line, reason): ligne, champ, regle, message. No value."""
        tri = self.verdict.tri
        if tri is None:
            return pl.DataFrame(schema=COLONNES_QUARANTAINE)
        return tri.quarantaine.select(
            pl.col(LIGNE).alias("ligne"), "champ", "regle", "message"
        ).cast(COLONNES_QUARANTAINE)

    def ligne_du_registre(self) -> pl.DataFrame:
        """The row the night's ledger (`fichiers`) would hold for this version."""
        v = self.verdict
        rejet = v.rejet
        lignes_ok = v.ok.rows if v.ok is not None else v.lignes
        return pl.DataFrame(
            [
                {
                    "id": 1,
                    "nom": self.nom,
                    "flux": self.flux.nom,
                    "date_fichier": self.date_fichier,
                    "sha256": "",
                    "statut": "REJETE" if rejet is not None else "APPLIQUE",
                    "motif_rejet": rejet.motif if rejet is not None else None,
                    "message_rejet": rejet.message if rejet is not None else None,
                    "lignes_ok": lignes_ok,
                    "lignes_appliquees": v.appliquees,
                    "doublons": v.doublons,
                    "quarantaine": v.quarantaine,
                    "conflits": v.conflits,
                }
            ],
            schema=SCHEMA_FICHIERS,
        )

    def motifs(self) -> pl.DataFrame:
        """Quarantined lines per reason, as the report reads them from the database."""
        return (
            self.quarantaine.group_by("champ", "regle")
            .agg(pl.col("ligne").n_unique().alias("lignes"))
            .select(pl.lit(1).alias("fichier_id"), "champ", "regle", "lignes")
            .cast(SCHEMA_MOTIFS)
        )

    @property
    def anomalies(self) -> pl.DataFrame:
        """The file's anomalies in the night's report: code, severite, message."""
        entrees = EntreesAnomalies(
            fichiers=self.ligne_du_registre(), motifs_quarantaine=self.motifs()
        )
        parts = [
            fichier_rejete(entrees),
            lignes_en_quarantaine(entrees),
            doublon_conflictuel(entrees),
        ]
        return pl.concat([p.select(list(COLONNES_ANOMALIES)) for p in parts])


def examiner(chemin: Path, seuil: float) -> Examen:
    """Judge one file as the night would (NomHorsContrat for a name outside the contract)."""
    flux, date_fichier = flux_du_nom(chemin.name)
    chemin_ok = chemin.with_name(chemin.name + ".ok")
    ok_brut = chemin_ok.read_bytes() if chemin_ok.is_file() else None
    verdict = juger(chemin.read_bytes(), flux, ok_brut, seuil)
    return Examen(chemin.name, flux, date_fichier, ok_brut is not None, verdict)


# ---------------------------------------------------------------------------------------
# Rendering


def _pluriel(n: int, singulier: str, pluriel: str | None = None) -> str:
    return f"{n} {singulier if n <= 1 else (pluriel or singulier + 's')}"


def bilan(examens: Sequence[Examen]) -> str:
    """The summary line."""
    par = {v: sum(e.verdict.verdict == v for e in examens) for v in LIBELLES}
    lignes = sum(e.verdict.quarantaine for e in examens if not e.verdict.rejete)
    return (
        f"Bilan : {_pluriel(len(examens), 'fichier')} ; "
        f"{_pluriel(par[ACCEPTE], 'accepté')} en entier, "
        f"{_pluriel(par[ACCEPTE_AVEC_QUARANTAINE], 'accepté')} avec "
        f"{_pluriel(lignes, 'ligne')} en quarantaine, "
        f"{_pluriel(par[REJETE], 'rejeté')}."
    )


def _phrase_ok(e: Examen) -> str:
    if e.etat_ok == OK_ABSENT:
        return (
            f".ok : absent ({e.nom}.ok) ; somme de contrôle et nombre de lignes non vérifiés. "
            "La nuit ne lit pas un fichier sans son .ok."
        )
    if e.etat_ok == OK_NON_CONFORME:
        return ".ok : non conforme (voir le motif du rejet)"
    rows = e.verdict.ok.rows if e.verdict.ok is not None else 0
    annoncees = _pluriel(rows, "ligne annoncée", "lignes annoncées")
    return f".ok : conforme (somme de contrôle ; {annoncees})"


def _phrase_comptes(e: Examen) -> str | None:
    v = e.verdict
    if v.lignes is None:
        return None
    if v.tri is None:
        return f"{_pluriel(v.lignes, 'ligne')} de données"
    conflits = f" (dont {v.conflits} en conflit de clé)" if v.conflits else ""
    return (
        f"{_pluriel(v.lignes, 'ligne')} de données : {_pluriel(v.appliquees, 'appliquée')}, "
        f"{_pluriel(v.doublons, 'doublon identique', 'doublons identiques')}, "
        f"{v.quarantaine} en quarantaine{conflits}"
    )


def texte(examens: Sequence[Examen]) -> str:
    out: list[str] = []
    for e in examens:
        out.append(f"{e.nom} ({e.flux.nom}) : {LIBELLES[e.verdict.verdict].upper()}")
        out.append(f"  {_phrase_ok(e)}")
        comptes = _phrase_comptes(e)
        if comptes is not None:
            out.append(f"  {comptes}")
        if e.verdict.verdict == ACCEPTE:
            out.append("  fichier appliqué en entier par la nuit")
        for code, _severite, message in e.anomalies.iter_rows():
            out.append(f"  {code} : {message}")
        for ligne, champ, regle, message in e.quarantaine.iter_rows():
            out.append(f"  ligne {ligne}, champ {champ}, règle {regle} : {message}")
    out.append(bilan(examens))
    return "\n".join(out) + "\n"


def _dict(e: Examen) -> dict[str, object]:
    v = e.verdict
    return {
        "fichier": e.nom,
        "flux": e.flux.nom,
        "date_fichier": e.date_fichier.isoformat(),
        "verdict": v.verdict,
        "ok": e.etat_ok,
        "motif_rejet": v.rejet.motif if v.rejet is not None else None,
        "message_rejet": v.rejet.message if v.rejet is not None else None,
        "lignes_lues": v.lignes,
        "appliquees": v.appliquees,
        "doublons": v.doublons,
        "quarantaine": v.quarantaine,
        "conflits": v.conflits,
        "anomalies": e.anomalies.to_dicts(),
        "lignes_en_quarantaine": e.quarantaine.to_dicts(),
    }


def json_(examens: Sequence[Examen]) -> str:
    par = {v: sum(e.verdict.verdict == v for e in examens) for v in LIBELLES}
    document = {
        "fichiers": [_dict(e) for e in examens],
        "bilan": {
            "fichiers": len(examens),
            "acceptes": par[ACCEPTE],
            "acceptes_avec_quarantaine": par[ACCEPTE_AVEC_QUARANTAINE],
            "rejetes": par[REJETE],
            "lignes_en_quarantaine": sum(
                e.verdict.quarantaine for e in examens if not e.verdict.rejete
            ),
            "message": bilan(examens),
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


COLONNES_CSV = {
    "fichier": pl.String,
    "flux": pl.String,
    "verdict": pl.String,
    "ok": pl.String,
    "type": pl.String,  # fichier, anomalie or ligne
    "code": pl.String,
    "ligne": pl.Int64,
    "champ": pl.String,
    "regle": pl.String,
    "message": pl.String,
}


def _phrase_verdict(e: Examen) -> str:
    v = e.verdict
    if v.rejet is not None:
        return f"rejeté en entier : {v.rejet.message} ({v.rejet.motif})"
    if v.verdict == ACCEPTE:
        return (
            f"accepté en entier : {_pluriel(v.appliquees, 'ligne appliquée', 'lignes appliquées')}"
        )
    return (
        f"accepté : {_pluriel(v.appliquees, 'ligne appliquée', 'lignes appliquées')}, "
        f"{v.quarantaine} en quarantaine"
    )


def csv_(examens: Sequence[Examen]) -> bytes:
    """One row per file, per report anomaly and per quarantine reason; in the report's CSV
    dialect (`reporting.csv_fr`: `;`, UTF-8 with a BOM, for a French spreadsheet)."""
    from reporting.csv_fr import BOM, SEPARATEUR

    parts = [pl.DataFrame(schema=COLONNES_CSV)]
    for e in examens:
        commun = {
            "fichier": pl.lit(e.nom),
            "flux": pl.lit(e.flux.nom),
            "verdict": pl.lit(e.verdict.verdict),
            "ok": pl.lit(e.etat_ok),
        }
        fichier = pl.DataFrame(
            {"type": ["fichier"], "message": [f"{_phrase_verdict(e)} ; {_phrase_ok(e)}"]}
        )
        for frame in (
            fichier,
            e.anomalies.select(pl.lit("anomalie").alias("type"), "code", "message"),
            e.quarantaine.with_columns(pl.lit("ligne").alias("type")),
        ):
            manque = [c for c in COLONNES_CSV if c not in frame.columns and c not in commun]
            parts.append(
                frame.with_columns(
                    **commun, **{c: pl.lit(None, dtype=COLONNES_CSV[c]) for c in manque}
                )
                .select(list(COLONNES_CSV))
                .cast(COLONNES_CSV)
            )
    tampon = io.BytesIO()
    pl.concat(parts).write_csv(
        tampon, separator=SEPARATEUR, line_terminator="\n", quote_style="necessary"
    )
    return BOM + tampon.getvalue()


def tous_acceptes(examens: Sequence[Examen]) -> bool:
    """Whether the night would apply every file whole (exit 0; else 3)."""
    return all(e.verdict.verdict == ACCEPTE for e in examens)


__all__ = [
    "OK_ABSENT",
    "OK_CONFORME",
    "OK_NON_CONFORME",
    "Examen",
    "NomHorsContrat",
    "bilan",
    "csv_",
    "examiner",
    "flux_du_nom",
    "json_",
    "texte",
    "tous_acceptes",
]
