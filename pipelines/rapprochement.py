"""The stock reconciliation of a night, from the database (RULES.md R1-R6; no Dagster here).

For night D and each system X, the stock compared is X's latest applied stock dated S ≤ D
(R1: a stock rejected whole replaces nothing). Its comparison is made as of S: the state on
S (`pipelines.etat_nuit.calculer`, a pure function of the files dated ≤ S), what was sent by
the nights ≤ S − délai (`pipelines.envois`); the records the nights after S − délai and
before S sent are in transit (left out). Only nights before S are read from the emission
ledger, so that the comparison does not depend on what night D itself sends (or re-sends).

`date_debut` of a divergence is the date of the first of the consecutive stocks of X that
show it: the earlier stocks are compared the same way, going back while they still show
some of the divergences.

The rules are `rules.rapprochement`; this module only gathers their inputs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import sqlalchemy as sa

import schemas
from connectors.database import Database
from connectors.dropzone import ecrire_atomique, ensure_private_dir
from connectors.tables import APPLIQUE, fichiers, quarantaine_contenu
from pipelines import emission, envois, etat_nuit
from pipelines.emission import SNAPSHOTS
from pipelines.etat_nuit import ResultatEtat
from rules import rapprochement as r
from rules.rapprochement import CLE, DIVERGENCES_DATEES, STOCKS

SYSTEMES = tuple(STOCKS)

CLE_METADONNEES = "passerelle_versions"
INSTANTANES_GARDES = 8  # nights of DUDE_IN_ETATS kept (délai is at most a few days)

EtatAu = Callable[[dt.date], ResultatEtat]
"""The state on a night: `pipelines.etat_nuit.calculer` bound to a database and cache."""


@dataclass(frozen=True)
class Rapprochement:
    """One system's latest stock as of night D, compared (R1-R6)."""

    systeme: str
    fichier: str  # the stock file compared
    date_stock: dt.date
    divergences: pl.DataFrame  # DIVERGENCES_DATEES, sorted by code then key
    concordance: pl.DataFrame  # rules.rapprochement.CONCORDANCE: national row, then regions
    renvois: pl.DataFrame  # rules.rapprochement.RENVOIS: R5, the records re-sent for it
    duree_s: float


@dataclass(frozen=True)
class Stock:
    id: int
    nom: str
    date: dt.date


def stocks_appliques(db: Database, systeme: str, nuit: dt.date) -> list[Stock]:
    """X's applied stocks dated ≤ night, the latest version of each date, newest first."""
    query = (
        sa.select(fichiers.c.id, fichiers.c.nom, fichiers.c.date_fichier)
        .where(fichiers.c.flux == STOCKS[systeme])
        .where(fichiers.c.statut == APPLIQUE)
        .where(fichiers.c.date_fichier <= nuit)
    )
    lignes = db.lire(query, {"id": pl.Int64, "nom": pl.String, "date_fichier": pl.Date})
    dernieres = (
        lignes.sort("id")
        .group_by("date_fichier", maintain_order=True)
        .last()
        .sort("date_fichier", descending=True)
    )
    return [Stock(int(i), n, d) for i, n, d in dernieres.select("id", "nom", "date_fichier").rows()]


def cles_en_quarantaine(db: Database, fichier_id: int) -> pl.LazyFrame:
    """The keys of the stock's quarantined rows (R1: never reported missing), read from the
    start of each quarantined line (the key is every stock's first field)."""
    lignes = db.lire(
        sa.select(quarantaine_contenu.c.contenu).where(
            quarantaine_contenu.c.fichier_id == fichier_id
        ),
        {"contenu": pl.String},
    )
    return (
        lignes.lazy()
        .select(pl.col("contenu").str.extract(r'^"?(AF[0-9]{10})"?(?:;|$)').alias(CLE))
        .drop_nulls()
        .unique()
    )


def _instantane(etat: ResultatEtat) -> pl.LazyFrame:
    """The DUDE_IN_ETATS snapshot a night sent: its state's episodes (rules.etat.Etat)."""
    return etat.etat.episodes.lazy().select(schemas.flux("DUDE_IN_ETATS").colonnes)


def garder_instantane(dossier: Path, du_soir: ResultatEtat) -> None:
    """Keep night D's snapshot (`<dossier>/<D>.parquet`, private), signed with the applied
    versions it was computed from, so that a later stock of DUDE reads it instead of
    computing the state of that night again; the oldest beyond INSTANTANES_GARDES go."""
    tampon = io.BytesIO()
    _instantane(du_soir).collect().write_parquet(
        tampon, compression="lz4", metadata={CLE_METADONNEES: du_soir.versions}
    )
    ensure_private_dir(dossier)
    with contextlib.suppress(OSError):  # a copy that cannot be kept only costs time
        ecrire_atomique(dossier / f"{du_soir.etat.jour.isoformat()}.parquet", tampon.getvalue())
        for ancien in sorted(dossier.glob("*.parquet"), reverse=True)[INSTANTANES_GARDES:]:
            ancien.unlink(missing_ok=True)


def instantane_envoye(
    db: Database, nuit: dt.date, etat_au: EtatAu, dossier: Path | None
) -> pl.LazyFrame:
    """The DUDE_IN_ETATS snapshot of that night: the kept copy while the applied versions
    dated ≤ that night are still those it was computed from, else computed again."""
    chemin = dossier / f"{nuit.isoformat()}.parquet" if dossier is not None else None
    if chemin is not None and chemin.is_file():
        with contextlib.suppress(OSError, KeyError, pl.exceptions.PolarsError):
            signe = pl.read_parquet_metadata(chemin)[CLE_METADONNEES]
            if signe == etat_nuit.signature(db, nuit):
                return pl.read_parquet(chemin).lazy()
    return _instantane(etat_au(nuit))


@dataclass(frozen=True)
class Comparaison:
    divergences: pl.DataFrame  # rules.rapprochement.DIVERGENCES
    concordance: pl.DataFrame
    sur_s: ResultatEtat  # the state on the stock's date
    envoye: dict[str, pl.LazyFrame]  # the content sent by the nights ≤ S − délai


def _comparer(
    db: Database,
    systeme: str,
    stock: Stock,
    delai: int,
    etat_au: EtatAu,
    instantanes: Path | None = None,
) -> Comparaison:
    """R2, R3 and R6 for one stock (divergences without date_debut)."""
    s = stock.date
    charge = s - dt.timedelta(days=delai)
    # The run of night S sends after the extraction of the stock dated S: what it sends is
    # never in that stock, so the records in transit are those of nights in (S − délai, S).
    veille = s - dt.timedelta(days=1)
    sur_s = etat_au(s)
    etat = sur_s.etat
    episodes, alertes = etat.episodes.lazy(), etat.alertes.lazy()
    envoye = envois.contenus_envoyes(db, charge, r.FLUX_DU_SYSTEME[systeme])
    transit: dict[str, pl.LazyFrame] = {
        nom: envois.contenu_envoye(db, nom, veille, apres=charge).lazy()
        for nom in r.FLUX_DU_SYSTEME[systeme]
        if nom not in SNAPSHOTS
    }
    entrees = sur_s.entrees_rapprochement
    if systeme == "GIDE":
        attendu = r.r2_attendu_gide(episodes, entrees["GIDE_STATUTS"], envoye, s)
    elif systeme == "P3":
        attendu = r.r2_attendu_p3(episodes, alertes, envoye, s)
    else:
        emise = envois.derniere_nuit_emise(db, charge)
        instantane = (
            instantane_envoye(db, emise, etat_au, instantanes)
            if emise is not None
            else pl.LazyFrame(schema=schemas.flux("DUDE_IN_ETATS").types_polars)
        )
        envoye["DUDE_IN_ETATS"] = instantane
        attendu = r.r2_attendu_dude(entrees["DUDE_ACCEPTATIONS"], envoye, s)
        derniere = envois.derniere_nuit_emise(db, veille)
        if derniere is not None and derniere > charge:
            # a later snapshot sent before S: its rows that differ are in transit
            transit["DUDE_IN_ETATS"] = instantane_envoye(db, derniere, etat_au, instantanes).join(
                instantane, on=list(instantane.collect_schema()), how="anti", nulls_equal=True
            )
    en_transit = r.r2_en_transit(systeme, transit, episodes, alertes)
    attendu = r.r2_hors_transit(attendu, en_transit)
    en_stock = r.r2_hors_transit(
        entrees[STOCKS[systeme]].select(schemas.flux(STOCKS[systeme]).colonnes), en_transit
    )
    causes = r.r3_causes_en_trop(systeme, episodes, etat.affectations_refusees.lazy(), envoye)
    divergences = r.r3_sans_orphelines(
        r.r3_divergences(systeme, attendu, en_stock, cles_en_quarantaine(db, stock.id), causes),
        etat.acceptations.lazy(),
    )
    regions = sur_s.referentiels.missions_locales.lazy()
    concordance = r.r6_concordance(systeme, attendu, en_stock, divergences, regions)
    return Comparaison(divergences, concordance, sur_s, envoye)


def _renvois(
    db: Database, systeme: str, stock: Stock, c: Comparaison, nuit: dt.date
) -> pl.DataFrame:
    """R5 for the stock compared on night D (`rules.rapprochement.RENVOIS`)."""
    a_renvoyer = r.r5_a_renvoyer(
        systeme, c.divergences, c.sur_s.etat.alertes.lazy(), c.envoye, stock.date
    )
    noms = sorted(set(a_renvoyer.get_column("flux")))
    if not noms:
        return pl.DataFrame(schema=r.RENVOIS)
    envoyes = pl.concat(
        [c.envoye[f].select(pl.lit(f).alias("flux"), "cle", "empreinte").collect() for f in noms]
    )
    actuels = []
    for f in noms:
        flux = schemas.flux(f)
        premiers = a_renvoyer.filter(pl.col("flux") == f).select(
            pl.col("cle").str.split("|").list.first()
        )
        records = c.sur_s.enregistrements[f].filter(
            pl.col(flux.cle[0]).cast(pl.String).is_in(premiers.to_series().implode())
        )
        actuels.append(
            emission.marquer(records, flux).select(pl.lit(f).alias("flux"), "cle", "empreinte")
        )
    return r.r5_renvois(
        a_renvoyer, envoyes, pl.concat(actuels), envois.renvois(db, noms, nuit), stock.date, nuit
    )


def _avec_renvoi(divergences: pl.DataFrame, renvois: pl.DataFrame) -> pl.DataFrame:
    """Each divergence with the night that re-sent its content (the latest, if several)."""
    par_divergence = renvois.group_by(CLE, "code").agg(pl.col("renvoi").max())
    return divergences.join(par_divergence, on=[CLE, "code"], how="left")


def _identite(divergences: pl.DataFrame) -> pl.Series:
    """A divergence followed from stock to stock: same code, episode and fields (its values
    may change meanwhile)."""
    return divergences.select(
        pl.concat_str("code", CLE, pl.col("champ").fill_null(""), separator="|")
    ).to_series()


def _date_debut(
    db: Database,
    systeme: str,
    divergences: pl.DataFrame,
    stocks: list[Stock],
    delai: int,
    etat_au: EtatAu,
    instantanes: Path | None = None,
) -> pl.DataFrame:
    """`date_debut` of each divergence of the newest of `stocks`: the date of the first of
    the consecutive stocks that show it."""
    suivies = _identite(divergences)
    debut = divergences.with_columns(pl.lit(stocks[0].date).alias("date_debut"))
    for plus_ancien in stocks[1:]:
        anciennes = _comparer(db, systeme, plus_ancien, delai, etat_au, instantanes).divergences
        suivies = suivies.filter(suivies.is_in(_identite(anciennes).implode()))
        if suivies.is_empty():
            break
        debut = debut.with_columns(
            pl.when(_identite(debut).is_in(suivies.implode()))
            .then(pl.lit(plus_ancien.date))
            .otherwise(pl.col("date_debut"))
            .alias("date_debut")
        )
    return debut


def _memorise(etat_au: EtatAu, taille: int = 3) -> EtatAu:
    """`etat_au` remembering its last few states (a stock date, the night its DUDE snapshot
    was sent, the previous stock's): each is a pure function of the files dated ≤ it."""
    memoire: dict[dt.date, ResultatEtat] = {}

    def au(jour: dt.date) -> ResultatEtat:
        if jour not in memoire:
            if len(memoire) >= taille:
                memoire.pop(next(iter(memoire)))
            memoire[jour] = etat_au(jour)
        return memoire[jour]

    return au


def rapprocher(
    db: Database,
    nuit: dt.date,
    delai: int,
    etat_au: EtatAu,
    instantanes: Path | None = None,
) -> list[Rapprochement]:
    """Every system's latest stock as of night D, compared; systems without a stock are
    absent. `etat_au` gives the state on a night (for night D, the night's own)."""
    etat_au = _memorise(etat_au)
    resultats = []
    for systeme in SYSTEMES:
        stocks = stocks_appliques(db, systeme, nuit)
        if not stocks:
            continue
        debut = time.perf_counter()
        comparaison = _comparer(db, systeme, stocks[0], delai, etat_au, instantanes)
        renvois = _renvois(db, systeme, stocks[0], comparaison, nuit)
        avec_debut = _date_debut(
            db,
            systeme,
            _avec_renvoi(comparaison.divergences, renvois),
            stocks,
            delai,
            etat_au,
            instantanes,
        )
        resultats.append(
            Rapprochement(
                systeme=systeme,
                fichier=stocks[0].nom,
                date_stock=stocks[0].date,
                divergences=avec_debut.with_columns(
                    pl.lit(stocks[0].nom).alias("fichier"),
                    pl.lit(stocks[0].date).alias("date_stock"),
                ).select([pl.col(c).cast(t) for c, t in DIVERGENCES_DATEES.items()]),
                concordance=comparaison.concordance,
                renvois=renvois,
                duree_s=time.perf_counter() - debut,
            )
        )
    return resultats


def divergences(rapprochements: list[Rapprochement]) -> pl.DataFrame:
    """Every system's divergences in one frame (DIVERGENCES_DATEES)."""
    return pl.concat(
        [pl.DataFrame(schema=DIVERGENCES_DATEES), *(x.divergences for x in rapprochements)]
    )


def concordances(rapprochements: list[Rapprochement]) -> pl.DataFrame:
    """Every system's R6 rows with its stock's file and date, in the systems' order."""
    parts = [
        x.concordance.with_columns(
            pl.lit(x.fichier).alias("fichier"), pl.lit(x.date_stock).alias("date_stock")
        )
        for x in rapprochements
    ]
    colonnes = ["systeme", "fichier", "date_stock", *(c for c in r.CONCORDANCE if c != "systeme")]
    vide = pl.DataFrame(schema={"fichier": pl.String, "date_stock": pl.Date, **r.CONCORDANCE})
    return pl.concat([vide.select(colonnes), *(p.select(colonnes) for p in parts)])


# The last reconciliation computed in this process (the report step reuses the asset's).
_DERNIER: dict[tuple[str, dt.date, int, str], list[Rapprochement]] = {}


def du_jour(
    db: Database,
    du_soir: ResultatEtat,
    delai: int,
    cache: Path | None = None,
    instantanes: Path | None = None,
) -> list[Rapprochement]:
    """`rapprocher` for the night of `du_soir` (the state of night D), the other states
    computed from the database (through the history's copy in `cache`, and DUDE's snapshots
    kept in `instantanes`, where night D's is kept too); reused in this process while the
    night's applied versions stay those of `du_soir`."""
    nuit = du_soir.etat.jour
    cle = (db.description, nuit, delai, du_soir.versions)
    if cle not in _DERNIER:
        _DERNIER.clear()

        def etat_au(jour: dt.date) -> ResultatEtat:
            return du_soir if jour == nuit else etat_nuit.calculer(db, jour, cache)

        _DERNIER[cle] = rapprocher(db, nuit, delai, etat_au, instantanes)
        if instantanes is not None:
            garder_instantane(instantanes, du_soir)
    return _DERNIER[cle]


def a_renvoyer(rapprochements: list[Rapprochement], flux: str, nuit: dt.date) -> pl.DataFrame:
    """(cle, empreinte): what the run of night D re-sends in `flux` (R5: the stocks dated D
    showed the system lacks that content); empty on other nights."""
    parts = [
        x.renvois.filter(pl.col("a_envoyer") & (pl.col("flux") == flux)).select("cle", "empreinte")
        for x in rapprochements
        if x.date_stock == nuit
    ]
    return pl.concat(
        [pl.DataFrame(schema={"cle": pl.String, "empreinte": pl.String}), *parts]
    ).unique(maintain_order=True)
