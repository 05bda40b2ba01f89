"""The STOCK_* divergence anomalies (RULES.md R3, R4), from `rules.rapprochement` rows.

`systemes` starts with the system whose stock shows the divergence, `fichier` is that stock;
the action says who acts (R4): a divergence on the system's own data asks that system to act;
one on data Passerelle sent is re-sent by Passerelle (R5), and once a re-send has failed (a
later stock still lacks that content) a human must act.
"""

from __future__ import annotations

import polars as pl

from rules.anomalies.lignes import cle, jj, lignes, texte, vide

# Fields each system holds as its own data (R2, "own"); every other compared field was sent.
PROPRES = {
    "GIDE": {"id_de", "code_ml", "date_affectation", "statut"},
    "P3": {"date_initialisation"},
    "DUDE": {"date_acceptation"},
}
# Whether an absent or extra episode is the system's own (GIDE opens and ends its episodes).
EPISODES_PROPRES = {"GIDE"}

LIBELLES = {"GIDE": "Pôle emploi (GIDE)", "P3": "Parcours 3", "DUDE": "DUDE"}
# Who else is named in `systemes`: Passerelle's counterpart for the data.
AUTRES = {"GIDE": "GIDE,P3", "P3": "P3,GIDE", "DUDE": "DUDE,GIDE"}

CODES = (
    "STOCK_EPISODE_MANQUANT",
    "STOCK_EPISODE_EN_TROP",
    "STOCK_ECART_STATUT",
    "STOCK_ECART_ALERTE",
    "STOCK_ECART_ETAT",
    "STOCK_ECART_DONNEES",
)


def _propre(systeme: str) -> pl.Expr:
    """True when the divergence concerns the system's own data (R4)."""
    episode = pl.col("code").is_in(["STOCK_EPISODE_MANQUANT", "STOCK_EPISODE_EN_TROP"])
    champs = pl.col("champ").fill_null("").str.split(", ")
    tous_propres = champs.list.eval(pl.element().is_in(list(PROPRES[systeme]))).list.all()
    return pl.when(episode).then(pl.lit(systeme in EPISODES_PROPRES)).otherwise(tous_propres)


def _sans_effet() -> pl.Expr:
    """R5: the content was re-sent by a night before this stock, which still lacks it."""
    return pl.col("renvoi") < pl.col("date_stock")


def _suite_renvoi() -> pl.Expr:
    """What the message adds when the content was re-sent (R5)."""
    return (
        pl.when(pl.col("renvoi").is_null())
        .then(pl.lit(""))
        .when(_sans_effet())
        .then(texte(" Renvoyé la nuit du ", jj("renvoi"), " sans effet."))
        .otherwise(texte(" Passerelle le renvoie la nuit du ", jj("renvoi"), "."))
    )


def _message(systeme: str) -> pl.Expr:
    return pl.concat_str(_constat(systeme), _suite_renvoi())


def _constat(systeme: str) -> pl.Expr:
    stock = f"Le stock de {LIBELLES[systeme]}"
    code = pl.col("code")
    return (
        pl.when(code == "STOCK_EPISODE_MANQUANT")
        .then(texte(f"{stock} ne contient pas l'épisode ", pl.col("id_affectation"), " attendu."))
        .when(code == "STOCK_EPISODE_EN_TROP")
        .then(
            texte(
                f"{stock} contient l'épisode ",
                pl.col("id_affectation"),
                " qui n'est pas attendu : ",
                pl.col("cause"),
                ".",
            )
        )
        .otherwise(
            texte(
                f"{stock} diffère sur ",
                pl.col("champ"),
                " : attendu ",
                pl.col("attendu"),
                ", dans le stock ",
                pl.col("stock"),
                ".",
            )
        )
    )


def _action(systeme: str) -> pl.Expr:
    libelle = LIBELLES[systeme]
    if systeme == "DUDE":
        envoyee = pl.lit(
            "Donnée envoyée par Passerelle dans DUDE_IN_ETATS : l'équipe DUDE vérifie le"
            " chargement de l'instantané (rien n'est renvoyé, il est complet chaque nuit)."
        )
    else:
        envoyee = (
            pl.when(pl.col("renvoi").is_null())
            .then(
                pl.lit(
                    "Donnée envoyée par Passerelle, sans renvoi automatique possible (aucun"
                    " enregistrement envoyé ne la porte telle quelle) : l'exploitation vérifie"
                    f" la fiche avec {libelle}."
                )
            )
            .when(_sans_effet())
            .then(
                pl.lit(
                    f"Donnée envoyée par Passerelle et déjà renvoyée sans effet : l'exploitation"
                    f" vérifie avec {libelle} pourquoi l'enregistrement n'est pas chargé (il ne"
                    " sera plus renvoyé automatiquement)."
                )
            )
            .otherwise(
                pl.lit(
                    f"Donnée envoyée par Passerelle, renvoyée automatiquement à {libelle} :"
                    " rien à faire si le prochain stock la contient."
                )
            )
        )
    propre = pl.lit(
        f"Donnée propre à {libelle} : {libelle} renvoie les lignes manquantes en correction"
        " ou corrige la fiche à la main."
    )
    return pl.when(_propre(systeme)).then(propre).otherwise(envoyee)


def anomalies_stock(
    systeme: str, divergences: pl.DataFrame, fichier: str, regions: pl.DataFrame
) -> pl.DataFrame:
    """The anomaly rows of one system's divergences (`rules.rapprochement.r3_divergences`
    rows plus `date_debut`, the first of the consecutive stocks that show each one, and,
    when known, `date_stock` and `renvoi`, the night that re-sent the content: R5)."""
    if divergences.is_empty():
        return vide()
    manque = {"date_stock": pl.Date, "renvoi": pl.Date}
    frame = (
        divergences.with_columns(
            pl.lit(None, dtype=t).alias(c)
            for c, t in manque.items()
            if c not in divergences.columns
        )
        .join(regions.select("code_ml", "code_region"), on="code_ml", how="left")
        .with_columns(pl.lit(fichier).alias("fichier"))
    )
    return pl.concat(
        [
            lignes(
                frame.filter(pl.col("code") == code),
                code,
                date_debut=pl.col("date_debut"),
                systemes=pl.lit(AUTRES[systeme]),
                message=_message(systeme),
                action=_action(systeme),
                cle=cle(pl.lit(systeme), "id_affectation"),
            )
            for code in CODES
        ]
    )
