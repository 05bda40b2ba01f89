"""The benchmark's figures as Markdown, written between two markers of bench/results.md.

What lies outside the markers (the analysis written by hand) is kept as it is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import os
import platform
import re
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bench.processus import Mesure

if TYPE_CHECKING:
    from bench.sftp import ResultatSftp

DEBUT = "<!-- bench:debut (written by `make bench`, do not edit by hand) -->"
FIN = "<!-- bench:fin -->"
PAQUETS = ("polars", "pandera", "dagster", "sqlalchemy", "paramiko", "xlsxwriter", "pyarrow")

# Targets on the 2-core, 24 GiB development machine (issue 6); measured, never asserted.
CIBLE_NUIT_S = 60.0
CIBLE_NUIT_GIO = 4.0
CIBLE_RECALCUL_S = 60.0
CIBLE_VALIDATION = 2.5
CIBLE_ECHELLE = 2.3
# The stock reconciliation (issue 12): what a night carrying the three stocks may add.
CIBLE_STOCKS_S = 5.0
CIBLE_STOCKS_GIO = 0.5
DEBUT_STOCKS = "<!-- bench:stocks:debut (written by `make bench`, do not edit by hand) -->"
FIN_STOCKS = "<!-- bench:stocks:fin -->"
ETAPE_RAPPROCHEMENT = "cotraitance__rapprochement"


@dataclass
class Echelle:
    echelle: float
    lignes_historique: int = 0
    chargement: dict[str, float] = field(default_factory=dict)
    nuits: list[Mesure] = field(default_factory=list)
    etapes: list[dict[str, float]] = field(default_factory=list)
    recalculs: list[Mesure] = field(default_factory=list)
    details_recalcul: list[dict[str, float]] = field(default_factory=list)
    scans: list[Mesure] = field(default_factory=list)
    validation: dict[str, object] = field(default_factory=dict)
    validation_mesure: Mesure | None = None
    # The same ordinary night with the three stocks, and its nights without, side by side.
    nuits_stocks: list[Mesure] = field(default_factory=list)
    nuits_sans_stocks: list[Mesure] = field(default_factory=list)
    etapes_stocks: list[dict[str, float]] = field(default_factory=list)

    def mediane(self, nom: str) -> float:
        return statistics.median(m.secondes for m in getattr(self, nom))

    def pic(self, nom: str) -> float:
        return statistics.median(m.pic_gio for m in getattr(self, nom))

    def charges(self) -> list[float]:
        mesures = [*self.nuits, *self.recalculs, *self.scans]
        if self.validation_mesure is not None:
            mesures.append(self.validation_mesure)
        return [m.charge for m in mesures]

    @property
    def ratio_validation(self) -> float:
        return float(self.validation["validation_s"]) / float(self.validation["read_csv_s"])

    @property
    def ratio_recalcul(self) -> float:
        return self.mediane("recalculs") / self.mediane("scans")

    def etapes_medianes(self) -> dict[str, float]:
        noms = set().union(*(e.keys() for e in self.etapes)) if self.etapes else set()
        return {n: statistics.median(e.get(n, 0.0) for e in self.etapes) for n in noms}


@dataclass
class Resultats:
    echelles: list[Echelle]
    repetitions: int
    rapide: bool
    sftp: ResultatSftp | None = None
    sftp_absent: str | None = None
    debut: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())


def _machine() -> str:
    memoire = "?"
    modele = platform.processor() or "?"
    try:
        for ligne in Path("/proc/meminfo").read_text().splitlines():
            if ligne.startswith("MemTotal:"):
                memoire = f"{int(ligne.split()[1]) / 2**20:.1f} GiB"
        for ligne in Path("/proc/cpuinfo").read_text().splitlines():
            if ligne.startswith("model name"):
                modele = ligne.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({modele}), {memoire} of memory, {platform.platform()}"


def _versions() -> str:
    parts = [f"Python {platform.python_version()}"]
    for p in PAQUETS:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            parts.append(f"{p} {importlib.metadata.version(p)}")
    try:
        ssh = subprocess.run(
            ["ssh", "-V"],  # noqa: S607 (OpenSSH's client, on PATH)
            capture_output=True,
            text=True,
            check=False,
        )
        parts.append(ssh.stderr.strip().split(",")[0])
    except OSError:
        pass
    return ", ".join(parts)


def _cible(valeur: float, cible: float, unite: str) -> str:
    if valeur <= cible:
        return f"met ({valeur:.2f}{unite} ≤ {cible:g}{unite})"
    return f"**missed** by {valeur - cible:.2f}{unite} ({valeur:.2f}{unite} > {cible:g}{unite})"


def _tableau(r: Resultats) -> list[str]:
    lignes = [
        "| scale | history rows | night: wall (s) | night: peak (GiB) | recomputation: wall (s) "
        "| recomputation: peak (GiB) | recomputation / bare scan | validation / read_csv "
        "| initial load night: wall (s), peak (GiB) | load average |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in r.echelles:
        charges = e.charges()
        lignes.append(
            f"| {e.echelle:g} | {e.lignes_historique:,} | {e.mediane('nuits'):.1f} "
            f"| {e.pic('nuits'):.2f} | {e.mediane('recalculs'):.1f} | {e.pic('recalculs'):.2f} "
            f"| {e.ratio_recalcul:.1f}x ({e.mediane('scans'):.1f} s) "
            f"| {e.ratio_validation:.2f}x ({float(e.validation['read_csv_s']):.1f} s) "
            f"| {e.chargement.get('secondes', 0):.0f}, "
            f"{e.chargement.get('pic_octets', 0) / 2**30:.2f} "
            f"| {min(charges):.1f}-{max(charges):.1f} |"
        )
    return lignes


def _etapes(e: Echelle) -> list[str]:
    medianes = e.etapes_medianes()
    if not medianes:
        return []
    total = e.mediane("nuits")
    hors = max(total - sum(medianes.values()), 0.0)
    tri = sorted(medianes.items(), key=lambda kv: -kv[1])
    lignes = [
        f"Most expensive steps of a night at scale {e.echelle:g} (Dagster step timings, median "
        f"of {len(e.etapes)} runs; share of the {total:.1f} s end to end):",
        "",
    ]
    for i, (nom, s) in enumerate(tri[:3], start=1):
        lignes.append(f"{i}. `{nom}`: {s:.1f} s ({s / total:.0%})")
    lignes.append(
        f"\nThe other {len(tri) - 3} steps: {sum(s for _, s in tri[3:]):.1f} s; outside the "
        f"steps (start-up, imports, Dagster's orchestration): {hors:.1f} s ({hors / total:.0%})."
    )
    return lignes


def _cibles(r: Resultats) -> list[str]:
    par = {e.echelle: e for e in r.echelles}
    nationale = par.get(1.0)
    lignes = ["Targets (2-core, 24 GiB machine):", ""]
    if nationale is None:
        return [*lignes, "- (no run at scale 1.0: targets not evaluated)"]
    lignes += [
        f"- national night under 60 s: {_cible(nationale.mediane('nuits'), CIBLE_NUIT_S, ' s')}",
        f"- national night under 4 GiB: {_cible(nationale.pic('nuits'), CIBLE_NUIT_GIO, ' GiB')}",
        "- full recomputation under 60 s: "
        + _cible(nationale.mediane("recalculs"), CIBLE_RECALCUL_S, " s"),
        "- validation at most 2.5x read_csv: "
        + _cible(nationale.ratio_validation, CIBLE_VALIDATION, "x"),
    ]
    moitie = par.get(0.5)
    if moitie is not None:
        for nom, libelle in (("nuits", "night"), ("recalculs", "recomputation")):
            ratio = nationale.mediane(nom) / moitie.mediane(nom)
            lignes.append(
                f"- {libelle}, scale 1.0 at most 2.3x scale 0.5: "
                + _cible(ratio, CIBLE_ECHELLE, "x")
            )
    return lignes


def _sftp(r: Resultats) -> list[str]:
    if r.sftp is None:
        return [f"SFTP: not measured ({r.sftp_absent})."]
    s = r.sftp
    debits = ", ".join(f"{nom} {d:.0f} MiB/s" for nom, d in s.debits.items())
    return [
        f"SFTP download of a {s.taille_mo} MiB file, median of {s.repetitions} runs "
        f"(bench/sftp.py): {debits}; **SftpDropZone / OpenSSH sftp = {s.ratio:.2f}** "
        f"({s.reglages}).",
    ]


def markdown(r: Resultats) -> str:
    duree = dt.datetime.now().astimezone() - r.debut
    lignes = [
        DEBUT,
        "",
        f"Measured {r.debut:%Y-%m-%d %H:%M %Z} ({duree.total_seconds() / 60:.0f} min in all)"
        + (" in quick mode (not the reference figures)" if r.rapide else "")
        + ".",
        "",
        f"- Machine: {_machine()}.",
        f"- Versions: {_versions()}.",
        f"- Medians of {r.repetitions} runs per scale, each in a fresh process restored from "
        "the same snapshot (the database and working area right after the initial load "
        "night of five years of history); peak = peak resident memory of that process.",
        "- Night = `passerelle run --date 2014-12-02` through Dagster (ingest, state, "
        "outbound, report), the whole process; recomputation (timed inside its process, "
        "start-up and imports excluded) = `pipelines.etat_nuit.calculer` (read the "
        "history, resolve it as of D, every rule, every outbound record); bare scan = "
        "reading the same history, every row and column, nothing else; validation = "
        "`schemas.dialect.lire` + `schemas.validation.trier` over the initial load's "
        "files, against `polars.read_csv` of the same bytes as text, in one process.",
        "- Load average = the machine's 1-minute load before each measurement (other "
        "processes shared the machine when it is above ~0.5).",
        "",
        *_tableau(r),
        "",
        *_sftp(r),
        "",
    ]
    plus_grande = max(r.echelles, key=lambda e: e.echelle, default=None)
    if plus_grande is not None:
        lignes += [*_etapes(plus_grande), ""]
    lignes += [*_cibles(r), "", FIN]
    return "\n".join(lignes) + "\n"


def markdown_stocks(r: Resultats) -> str:
    """The night with the three stocks against the same night without them (issue 12)."""
    lignes = [
        DEBUT_STOCKS,
        "",
        f"Measured {r.debut:%Y-%m-%d %H:%M %Z}"
        + (" in quick mode (not the reference figures)" if r.rapide else "")
        + ": the ordinary night `passerelle run --date 2014-12-02` through Dagster, once with "
        "the three stocks dated that night (`fixtures.generate --stocks mardi "
        "--taux-divergence 0.01`: GIDE and P3 list their open episodes, DUDE every episode, "
        "1 % of rows diverging) and once with the same files without them, alternately, each "
        "from a fresh copy of the initial load snapshot; medians, peak resident memory.",
        "",
        "| scale | night without stocks: wall (s), peak (GiB) | with stocks: wall (s), peak (GiB) "
        "| added: s, GiB | `rapprochement` step (s) |",
        "|---|---|---|---|---|",
    ]
    mesurees = [e for e in r.echelles if e.nuits_stocks]
    for e in mesurees:
        ajout_s = e.mediane("nuits_stocks") - e.mediane("nuits_sans_stocks")
        ajout_gio = e.pic("nuits_stocks") - e.pic("nuits_sans_stocks")
        etape = statistics.median(x.get(ETAPE_RAPPROCHEMENT, 0.0) for x in e.etapes_stocks or [{}])
        lignes.append(
            f"| {e.echelle:g} | {e.mediane('nuits_sans_stocks'):.1f}, "
            f"{e.pic('nuits_sans_stocks'):.2f} | {e.mediane('nuits_stocks'):.1f}, "
            f"{e.pic('nuits_stocks'):.2f} | {ajout_s:+.1f}, {ajout_gio:+.2f} | {etape:.1f} |"
        )
    nationale = next((e for e in mesurees if e.echelle == 1.0), None)
    lignes.append("")
    if nationale is None:
        lignes.append("Target (at most 5 s and 0.5 GiB more at scale 1.0): not evaluated.")
    else:
        ajout_s = nationale.mediane("nuits_stocks") - nationale.mediane("nuits_sans_stocks")
        ajout_gio = nationale.pic("nuits_stocks") - nationale.pic("nuits_sans_stocks")
        lignes += [
            "- reconciliation adds at most 5 s: " + _cible(ajout_s, CIBLE_STOCKS_S, " s"),
            "- reconciliation adds at most 0.5 GiB: " + _cible(ajout_gio, CIBLE_STOCKS_GIO, " GiB"),
        ]
    return "\n".join([*lignes, "", FIN_STOCKS]) + "\n"


def _remplacer(chemin: Path, bloc: str, debut: str, fin: str) -> None:
    """Replace the block between `debut` and `fin` (or append it)."""
    if chemin.is_file():
        texte = chemin.read_text(encoding="utf-8")
        motif = re.compile(re.escape(debut) + r".*?" + re.escape(fin) + r"\n?", re.S)
        if motif.search(texte):
            chemin.write_text(motif.sub(lambda _: bloc, texte), encoding="utf-8")
            return
        chemin.write_text(texte.rstrip("\n") + "\n\n" + bloc, encoding="utf-8")
        return
    chemin.parent.mkdir(parents=True, exist_ok=True)
    chemin.write_text("# Benchmark results\n\n" + bloc, encoding="utf-8")


def ecrire_stocks(chemin: Path, r: Resultats) -> None:
    """Replace the stock figures between their markers."""
    _remplacer(chemin, markdown_stocks(r), DEBUT_STOCKS, FIN_STOCKS)


def ecrire(chemin: Path, r: Resultats) -> None:
    """Replace the figures between the markers (or write a new file with them)."""
    _remplacer(chemin, markdown(r), DEBUT, FIN)
