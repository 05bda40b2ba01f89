"""`rapport.html`: one self-contained page (inline CSS and SVG, nothing fetched, ever).

A Content-Security-Policy meta tag forbids every network source, so even a browser that
found a URL in the page would not load it. Tables are rendered column-wise with polars (each
cell escaped, each row a string), not row by row in Python. The page is readable on a laptop
and printable (A4 landscape, navigation hidden, charts kept whole).

The anomalies table of the page shows, per code, the 50 oldest (by date_debut); the complete
list is in anomalies.csv and rapport.xlsx.
"""

from __future__ import annotations

from html import escape

import polars as pl

from reporting.contenu import ContenuRapport
from reporting.graphiques import anomalies_par_code_et_age, entrees_contre_objectif, stock_par_etat
from rules.anomalies import CATALOGUE, CODES
from rules.indicateurs import NATIONAL, REGION
from rules.referentiel_regions import NOMS_REGIONS

PAR_CODE = 50

CSS = """
:root { --bloquant:#c0392b; --alerte:#d35400; --info:#2471a3; --gris:#5d6d7e; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  margin: 0 auto; max-width: 1280px; padding: 1rem 1.5rem 3rem; color: #1c2833;
  line-height: 1.4; }
h1 { font-size: 1.5rem; margin: .2rem 0; }
h2 { font-size: 1.2rem; border-bottom: 2px solid #d5d8dc; padding-bottom: .2rem;
  margin-top: 2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
nav { font-size: .9rem; margin: .5rem 0 1rem; }
nav a { margin-right: 1rem; }
.statut { padding: .6rem .8rem; border-radius: 4px; margin: .6rem 0; font-weight: 600; }
.statut.ok { background: #e9f7ef; border-left: 6px solid #1e8449; }
.statut.ko { background: #fdedec; border-left: 6px solid var(--bloquant); }
.statut.pseudo { background: #eaf2f8; border-left: 6px solid var(--info); font-weight: 400; }
.cartes { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
  gap: .6rem; }
.carte { border: 1px solid #d5d8dc; border-radius: 4px; padding: .5rem .7rem; }
.carte .v { font-size: 1.5rem; font-weight: 700; }
.carte .l { font-size: .8rem; color: var(--gris); }
.carte.BLOQUANT .v { color: var(--bloquant); } .carte.ALERTE .v { color: var(--alerte); }
.carte.INFO .v { color: var(--info); }
figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-size: .85rem; color: var(--gris); margin-top: .3rem; }
svg { max-width: 100%; height: auto; }
.multiples { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr));
  gap: .5rem; }
.multiples svg { width: 100%; border: 1px solid #eaecee; }
.defile { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .82rem; margin: .4rem 0 1rem; }
th, td { border: 1px solid #d5d8dc; padding: .25rem .4rem; text-align: left;
  vertical-align: top; }
th { background: #f2f3f4; position: sticky; top: 0; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.BLOQUANT td:first-child { border-left: 5px solid var(--bloquant); }
tr.ALERTE td:first-child { border-left: 5px solid var(--alerte); }
tr.INFO td:first-child { border-left: 5px solid var(--info); }
.sev { font-weight: 600; } .sev.BLOQUANT { color: var(--bloquant); }
.sev.ALERTE { color: var(--alerte); } .sev.INFO { color: var(--info); }
.jauge { background: #eaecee; height: .7rem; width: 8rem; display: inline-block;
  vertical-align: middle; }
.jauge span { background: #2e86c1; height: 100%; display: block; }
.note { font-size: .85rem; color: var(--gris); }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-before: page; page-break-before: always; }
  h2.premier { break-before: auto; page-break-before: auto; }
  th { position: static; }
  .defile { overflow: visible; }
  .multiples { grid-template-columns: repeat(4, 1fr); }
  a { color: inherit; text-decoration: none; }
}
"""


def _echapper(expr: pl.Expr) -> pl.Expr:
    return (
        expr.cast(pl.String)
        .fill_null("")
        .str.replace_many(["&", "<", ">", '"', "'"], ["&amp;", "&lt;", "&gt;", "&quot;", "&#x27;"])
    )


def _date_fr(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime("%d/%m/%Y")


def _nombre_fr(expr: pl.Expr, decimales: int = 0) -> pl.Expr:
    if decimales == 0:
        return expr.round(0).cast(pl.Int64).cast(pl.String)
    return expr.round(decimales).cast(pl.String).str.replace(r"\.", ",")


def tableau(
    frame: pl.DataFrame,
    colonnes: list[tuple[str, pl.Expr, bool]],
    classe_ligne: pl.Expr | None = None,
) -> str:
    """An HTML table: (header, cell expression, numeric) per column; built column-wise."""
    entete = "".join(f"<th>{escape(t)}</th>" for t, _, _ in colonnes)
    if frame.is_empty():
        corps = f'<tr><td colspan="{len(colonnes)}">Aucune ligne.</td></tr>'
    else:
        cellules = [
            pl.concat_str(
                [pl.lit('<td class="n">' if num else "<td>"), _echapper(e), pl.lit("</td>")]
            )
            for _, e, num in colonnes
        ]
        debut = (
            pl.concat_str([pl.lit('<tr class="'), _echapper(classe_ligne), pl.lit('">')])
            if classe_ligne is not None
            else pl.lit("<tr>")
        )
        lignes = frame.select(pl.concat_str([debut, *cellules, pl.lit("</tr>")]).alias("l"))
        corps = "\n".join(lignes.get_column("l").to_list())
    return (
        f'<div class="defile"><table><thead><tr>{entete}</tr></thead><tbody>\n{corps}\n'
        "</tbody></table></div>"
    )


def _carte(valeur: str, libelle: str, classe: str = "") -> str:
    return (
        f'<div class="carte {escape(classe)}"><div class="v">{escape(valeur)}</div>'
        f'<div class="l">{escape(libelle)}</div></div>'
    )


def _statut(contenu: ContenuRapport) -> str:
    nuit = f"{contenu.jour:%d/%m/%Y}"
    if contenu.complete:
        html = (
            f'<p class="statut ok">Nuit du {nuit} complète : flux émis vers GIDE, DUDE et '
            "Parcours 3.</p>"
        )
    elif contenu.emise:
        html = (
            f'<p class="statut ko">Nuit du {nuit} incomplète : émission partielle forcée par un '
            "opérateur (voir les anomalies bloquantes).</p>"
        )
    else:
        html = (
            f'<p class="statut ko">Nuit du {nuit} incomplète : rien n\'a été émis vers GIDE, '
            "DUDE et Parcours 3 (voir les anomalies bloquantes ci-dessous).</p>"
        )
    if contenu.pseudonymise:
        html += (
            '<p class="statut pseudo">Identifiants pseudonymisés : chaque identifiant de '
            "demandeur, d'affectation et d'alerte est remplacé par un code stable.</p>"
        )
    return html


def _indicateur(contenu: ContenuRapport, niveau: str, code: str, nom: str) -> float | None:
    i = contenu.indicateurs.filter(
        (pl.col("niveau") == niveau)
        & (pl.col("code") == code)
        & (pl.col("indicateur") == nom)
        & (pl.col("annee") == contenu.jour.year)
        & pl.col("trimestre").is_null()
    )
    return i.get_column("valeur")[0] if i.height else None


def _fr(x: float | None, decimales: int = 0) -> str:
    if x is None:
        return "–"
    if decimales:
        return f"{x:.{decimales}f}".replace(".", ",")
    return f"{round(x):,}".replace(",", "\u202f")


def _synthese(contenu: ContenuRapport) -> str:
    a = contenu.anomalies
    par_sev = dict(a.group_by("severite").len().iter_rows())
    libelles = {"BLOQUANT": "anomalies bloquantes", "ALERTE": "alertes", "INFO": "informations"}
    cartes = [_carte(_fr(par_sev.get(s, 0)), lib, s) for s, lib in libelles.items()]
    annee = contenu.jour.year
    entrees = _indicateur(contenu, NATIONAL, "FR", "ENTREES_OBJECTIF")
    objectif = _indicateur(contenu, NATIONAL, "FR", "OBJECTIF")
    taux = _indicateur(contenu, NATIONAL, "FR", "TAUX_REALISATION")
    ep = contenu.episodes
    ouverts = ep.filter(pl.col("date_fin").is_null()).height
    q = contenu.qualite
    cartes += [
        _carte(_fr(_indicateur(contenu, NATIONAL, "FR", "DE0")), f"affectations (DE0) {annee}"),
        _carte(_fr(entrees), f"entrées comptabilisées {annee}"),
        _carte(_fr(objectif), f"objectif national {annee}"),
        _carte(_fr(taux * 100 if taux is not None else None, 1) + " %", "taux de réalisation"),
        _carte(_fr(ouverts), "épisodes en cours"),
        _carte(_fr(q.filter(pl.col("statut") != "MANQUANT").height), "fichiers reçus"),
        _carte(_fr(q.filter(pl.col("statut") == "REJETE").height), "fichiers rejetés", "BLOQUANT"),
        _carte(_fr(q.filter(pl.col("statut") == "MANQUANT").height), "flux manquants", "BLOQUANT"),
    ]
    codes = (
        a.group_by("code")
        .agg(pl.len().alias("nombre"), pl.col("date_debut").min().alias("depuis"))
        .with_columns(
            pl.col("code").replace_strict({c: i for i, c in enumerate(CODES)}).alias("_r"),
            pl.col("code")
            .replace_strict({c: v.severite for c, v in CATALOGUE.items()})
            .alias("severite"),
            pl.col("code")
            .replace_strict(
                {c: "situation" if v.nature == "S" else "événement" for c, v in CATALOGUE.items()}
            )
            .alias("nature"),
        )
        .sort("_r")
    )
    table = tableau(
        codes,
        [
            ("Code", pl.col("code"), False),
            ("Sévérité", pl.col("severite"), False),
            ("Nature", pl.col("nature"), False),
            ("Nombre", pl.col("nombre"), True),
            ("Plus ancienne depuis le", _date_fr("depuis"), False),
        ],
        pl.col("severite"),
    )
    return (
        f'<div class="cartes">{"".join(cartes)}</div><h3>Anomalies de la nuit par code</h3>{table}'
    )


def _graphiques(contenu: ContenuRapport) -> str:
    d = contenu.jour
    em = contenu.entrees_mensuelles
    multiples = []
    cles = [(NATIONAL, "FR", "France entière")] + [
        (REGION, c, n) for c, n in sorted(NOMS_REGIONS.items(), key=lambda kv: kv[1])
    ]
    for niveau, code, nom in cles:  # the nation and the 26 regions
        serie = em.filter((pl.col("niveau") == niveau) & (pl.col("code") == code))
        multiples.append(entrees_contre_objectif(serie, nom, d))
    return (
        f"<h3>Entrées comptabilisées en {d.year} contre l'objectif, par région</h3>"
        f'<figure id="graphique-entrees"><div class="multiples">{"".join(multiples)}</div>'
        "<figcaption>Barres : entrées comptabilisées du mois (règle E7). Trait plein : cumul "
        "de l'année. Tirets : objectif au prorata des jours écoulés (annexe 4 ou "
        "REF_OBJECTIFS), point : attendu à la date du rapport.</figcaption></figure>"
        "<h3>Épisodes en cours par état sur les derniers mois</h3>"
        f'<figure id="graphique-stock">{stock_par_etat(contenu.stock_mensuel)}'
        "<figcaption>État en fin de mois déduit des dates des épisodes connues à ce jour "
        "(affectation, acceptation, initialisation, alertes, fin) ; actif et suspendu sont "
        "regroupés avant la date du rapport.</figcaption></figure>"
        "<h3>Anomalies de la nuit par code et ancienneté</h3>"
        f'<figure id="graphique-anomalies">{anomalies_par_code_et_age(contenu.anomalies, d)}'
        "<figcaption>Ancienneté : jours écoulés depuis la date de début de la "
        "condition.</figcaption></figure>"
    )


def _anomalies(contenu: ContenuRapport) -> str:
    a = contenu.anomalies
    extrait = (
        a.with_row_index("_ordre")
        .sort(
            pl.col("code").replace_strict({c: i for i, c in enumerate(CODES)}),
            "date_debut",
            "_ordre",
            nulls_last=True,
        )
        .group_by("code", maintain_order=True)
        .head(PAR_CODE)
    )
    note = (
        f'<p class="note">{extrait.height} anomalies affichées sur {a.height} ({PAR_CODE} au plus '
        "par code, les plus anciennes d'abord) ; liste complète dans anomalies.csv et "
        "rapport.xlsx.</p>"
    )
    table = tableau(
        extrait,
        [
            ("Code", pl.col("code"), False),
            ("Sévérité", pl.col("severite"), False),
            ("Depuis le", _date_fr("date_debut"), False),
            ("Affectation", pl.col("id_affectation"), False),
            ("Demandeur", pl.col("id_de"), False),
            ("Mission locale", pl.col("code_ml"), False),
            ("Région", pl.col("code_region"), False),
            ("Fichier", pl.col("fichier"), False),
            ("Systèmes", pl.col("systemes"), False),
            ("Message", pl.col("message"), False),
            ("Action recommandée", pl.col("action"), False),
        ],
        pl.col("severite"),
    )
    return note + table


def _objectifs(contenu: ContenuRapport) -> str:
    annee = contenu.jour.year
    o = contenu.objectifs.filter(
        (pl.col("annee") == annee) & pl.col("niveau").is_in([NATIONAL, REGION])
    )
    jauge = pl.concat_str(
        [
            _nombre_fr(pl.col("taux") * 100, 1).fill_null("–"),
            pl.lit(" %"),
        ]
    )
    return tableau(
        o,
        [
            ("Niveau", pl.col("niveau"), False),
            ("Code", pl.col("code"), False),
            ("Libellé", pl.col("libelle"), False),
            ("Objectif", pl.col("objectif"), True),
            ("Source", pl.col("source"), False),
            ("Affectations (DE0)", pl.col("de0"), True),
            ("Entrées comptabilisées", pl.col("entrees"), True),
            ("Taux de réalisation", jauge, True),
            ("Attendu au jour", _nombre_fr(pl.col("attendu_au_jour")), True),
            ("Écart", _nombre_fr(pl.col("ecart")), True),
        ],
    )


def _stock_et_sorties(contenu: ContenuRapport) -> str:
    i = contenu.indicateurs.filter(pl.col("niveau") == NATIONAL)
    stock = i.filter(pl.col("indicateur") == "STOCK").sort("modalite")
    sorties = i.filter(
        (pl.col("indicateur").is_in(["SORTIES", "ANNULATIONS"]))
        & (pl.col("annee") == contenu.jour.year)
        & pl.col("trimestre").is_null()
    ).sort("indicateur", "modalite")
    return (
        "<h3>Stock d'épisodes par phase et état</h3>"
        + tableau(
            stock,
            [
                ("Phase/état", pl.col("modalite"), False),
                ("Épisodes", _nombre_fr(pl.col("valeur")), True),
            ],
        )
        + f"<h3>Sorties et annulations en {contenu.jour.year}</h3>"
        + tableau(
            sorties,
            [
                ("Indicateur", pl.col("indicateur"), False),
                ("Motif", pl.col("modalite"), False),
                ("Nombre", _nombre_fr(pl.col("valeur")), True),
            ],
        )
    )


def _taux_fr(col: str) -> pl.Expr:
    return (
        pl.when(pl.col(col).is_null())
        .then(pl.lit("—"))
        .otherwise(pl.concat_str(_nombre_fr(pl.col(col) * 100, 1), pl.lit(" %")))
    )


def _rapprochement(contenu: ContenuRapport) -> str:
    """R6 on each system's latest stock, then per region; the detail is rapprochement.csv."""
    c = contenu.concordance
    if c.is_empty():
        return "<p>Aucun stock reçu à cette date : pas de rapprochement.</p>"
    par_code = (
        contenu.divergences_stock.group_by("systeme")
        .agg(pl.len().alias("divergences"))
        .join(
            contenu.divergences_stock.group_by("systeme", "code")
            .len()
            .sort("code")
            .group_by("systeme", maintain_order=True)
            .agg(pl.format("{} : {}", "code", "len").str.join(", ").alias("par_code")),
            on="systeme",
        )
    )
    nationales = (
        c.filter(pl.col("code_region").is_null())
        .join(par_code, on="systeme", how="left")
        .with_columns(pl.col("divergences").fill_null(0))
    )
    colonnes = [
        ("Attendus", pl.col("attendus"), True),
        ("Dans le stock", pl.col("en_stock"), True),
        ("Concordants", pl.col("concordants"), True),
        ("Taux de concordance", _taux_fr("taux_concordance"), True),
    ]
    return (
        "<h3>Par système (dernier stock reçu)</h3>"
        + tableau(
            nationales,
            [
                ("Système", pl.col("systeme"), False),
                ("Stock", pl.col("fichier"), False),
                ("Date du stock", _date_fr("date_stock"), False),
                *colonnes,
                ("Divergences", pl.col("divergences"), True),
                ("Par code", pl.col("par_code"), False),
            ],
        )
        + "<h3>Par région</h3>"
        + tableau(
            c.filter(pl.col("code_region").is_not_null()),
            [
                ("Système", pl.col("systeme"), False),
                ("Région", pl.col("code_region"), False),
                *colonnes,
            ],
        )
        + '<p class="note">Une ligne par divergence (épisode, champ, valeur attendue, valeur du'
        " stock) dans rapprochement.csv ; chaque divergence est aussi une anomalie STOCK_.</p>"
    )


def _qualite(contenu: ContenuRapport) -> str:
    return tableau(
        contenu.qualite,
        [
            ("Fichier", pl.col("fichier"), False),
            ("Système", pl.col("systeme"), False),
            ("Statut", pl.col("statut"), False),
            ("Lignes", pl.col("lignes"), True),
            ("Appliquées", pl.col("appliquees"), True),
            ("Doublons", pl.col("doublons"), True),
            ("Quarantaine", pl.col("quarantaine"), True),
            ("Conflits", pl.col("conflits"), True),
            ("Motif", pl.col("motif"), False),
            ("Détail", pl.col("detail"), False),
        ],
        pl.when(pl.col("statut").is_in(["MANQUANT", "REJETE"])).then(pl.lit("BLOQUANT")),
    )


def page_html(contenu: ContenuRapport) -> bytes:
    """The whole page, UTF-8."""
    nuit = f"{contenu.jour:%d/%m/%Y}"
    html = f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<title>Passerelle : rapport de rapprochement de la nuit du {nuit}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>Rapport de rapprochement de la nuit du {nuit}</h1>
<p class="note">Cotraitance des jeunes demandeurs d'emploi : GIDE, DUDE et Parcours 3.</p>
{_statut(contenu)}
</header>
<nav><a href="#synthese">Synthèse</a><a href="#graphiques">Graphiques</a>
<a href="#anomalies">Anomalies</a><a href="#objectifs">Objectifs</a>
<a href="#stock">Stock et sorties</a><a href="#rapprochement">Rapprochement des stocks</a>
<a href="#qualite">Qualité des flux</a></nav>
<main>
<section id="synthese"><h2 class="premier">Synthèse</h2>{_synthese(contenu)}</section>
<section id="graphiques"><h2>Graphiques</h2>{_graphiques(contenu)}</section>
<section id="anomalies"><h2>Anomalies</h2>{_anomalies(contenu)}</section>
<section id="objectifs"><h2>Objectifs {contenu.jour.year}</h2>{_objectifs(contenu)}</section>
<section id="stock"><h2>Stock et sorties</h2>{_stock_et_sorties(contenu)}</section>
<section id="rapprochement"><h2>Rapprochement des stocks</h2>{_rapprochement(contenu)}</section>
<section id="qualite"><h2>Qualité des flux</h2>{_qualite(contenu)}</section>
</main>
</body>
</html>
"""
    return html.encode("utf-8")
