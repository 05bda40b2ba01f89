"""The report's charts as inline SVG, drawn here (no library, no font, no network).

Each function takes a small aggregated frame (months, categories, codes: never people) and
returns one `<svg>` element with a `<title>` and a `viewBox`, sized by CSS. Numbers are
written with fixed precision so the same data gives the same bytes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from html import escape

import polars as pl

from rules.series_mensuelles import CATEGORIES_STOCK

COULEURS_STOCK = {
    "AFFECTATION": "#9ecae1",
    "ACCEPTATION": "#4292c6",
    "ACTIF_OU_SUSPENSION": "#41ab5d",
    "ALERTE": "#e6550d",
}
LIBELLES_STOCK = {
    "AFFECTATION": "Affectation",
    "ACCEPTATION": "Acceptation",
    "ACTIF_OU_SUSPENSION": "Accompagnement (actif ou suspendu)",
    "ALERTE": "Alerte",
}
TRANCHES_AGE = (("< 8 j", 0, 7), ("8 à 30 j", 8, 30), ("31 à 90 j", 31, 90), ("> 90 j", 91, None))
COULEURS_AGE = ("#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")
MOIS = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip
POLICE = "font-family:sans-serif"


def _n(x: float) -> str:
    """A coordinate with one decimal, without a trailing .0."""
    texte = f"{x:.1f}"
    return texte[:-2] if texte.endswith(".0") else texte


def _graduations(maximum: float, nombre: int = 4) -> list[float]:
    """Round ticks from 0 covering `maximum` (1, 2 or 5 times a power of ten)."""
    if maximum <= 0:
        return [0.0, 1.0]
    brut = max(maximum / nombre, 1.0)  # counts: never a fractional step
    puissance = 10 ** math.floor(math.log10(brut))
    pas = next(m * puissance for m in (1, 2, 5, 10) if m * puissance >= brut)
    return [i * pas for i in range(math.ceil(maximum / pas - 1e-9) + 1)]


def _jours_annee(annee: int) -> int:
    return 366 if calendar.isleap(annee) else 365


def _entier(x: float) -> str:
    return f"{round(x):,}".replace(",", "\u202f")


def _svg(largeur: int, hauteur: int, titre: str, corps: list[str], classe: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{classe}" viewBox="0 0 {largeur} '
        f'{hauteur}" width="{largeur}" height="{hauteur}" role="img" style="{POLICE}">'
        f"<title>{escape(titre)}</title>" + "".join(corps) + "</svg>"
    )


def _texte(
    x: float, y: float, contenu: str, taille: int = 11, ancre: str = "start", **attrs: str
) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{taille}" text-anchor="{ancre}"{extra}>'
        f"{escape(contenu)}</text>"
    )


def _legende(x: float, y: float, items: list[tuple[str, str]], pas: float = 190) -> list[str]:
    out = []
    for i, (libelle, couleur) in enumerate(items):
        xi = x + (i % 3) * pas
        yi = y + (i // 3) * 16
        out.append(f'<rect x="{_n(xi)}" y="{_n(yi - 9)}" width="10" height="10" fill="{couleur}"/>')
        out.append(_texte(xi + 14, yi, libelle))
    return out


def entrees_contre_objectif(serie: pl.DataFrame, titre: str, d: dt.date) -> str:
    """One small multiple: counted entries per month (bars), their running total (line) and
    the objective pro rata (dashed), for one region or the nation in D's year.

    `serie`: mois, entrees, cumul, objectif, prorata (rules.series_mensuelles.entrees_par_mois).
    """
    largeur, hauteur, g, dr, h, b = 260, 156, 44, 8, 40, 22
    mois = serie.get_column("mois").to_list()
    entrees = serie.get_column("entrees").to_list()
    cumul = serie.get_column("cumul").to_list()
    prorata = serie.get_column("prorata").to_list()
    objectif = serie.get_column("objectif").to_list()[0] if serie.height else None
    haut = max([*cumul, *(p for p in prorata if p is not None), 1])
    ticks = _graduations(haut, 3)
    haut = ticks[-1]
    zone_l, zone_h = largeur - g - dr, hauteur - h - b
    pas = zone_l / 12

    def y(v: float) -> float:
        return h + zone_h - v / haut * zone_h

    corps = [f'<rect x="0" y="0" width="{largeur}" height="{hauteur}" fill="#fff"/>']
    if objectif:
        taux = cumul[-1] / objectif * 100 if cumul else 0
        sous_titre = f"{_entier(cumul[-1] if cumul else 0)} / {_entier(objectif)} ({taux:.1f} %)"
    else:
        sous_titre = f"{_entier(cumul[-1] if cumul else 0)} entrées, pas d'objectif"
    corps.append(_texte(4, 13, titre, 12, font_weight="bold"))
    corps.append(_texte(4, 26, sous_titre.replace(".", ","), 10, fill="#444"))
    for t in ticks:
        corps.append(
            f'<line x1="{g}" x2="{largeur - dr}" y1="{_n(y(t))}" y2="{_n(y(t))}" '
            'stroke="#ddd" stroke-width="0.6"/>'
        )
        corps.append(_texte(g - 3, y(t) + 3, _entier(t), 9, "end", fill="#555"))
    for m, e in zip(mois, entrees, strict=True):
        x = g + (m - 1) * pas
        corps.append(
            f'<rect class="barre" x="{_n(x + 2)}" y="{_n(y(e))}" width="{_n(pas - 4)}" '
            f'height="{_n(zone_h - (y(e) - h))}" fill="#9ecae1"/>'
        )
    for m in (1, 4, 7, 10):
        corps.append(
            _texte(g + (m - 0.5) * pas, hauteur - 8, MOIS[m - 1], 9, "middle", fill="#555")
        )
    if cumul:
        points = " ".join(f"{_n(g + m * pas)},{_n(y(c))}" for m, c in zip(mois, cumul, strict=True))
        corps.append(
            f'<polyline class="cumul" points="{_n(g)},{_n(y(0))} {points}" fill="none" '
            'stroke="#08519c" stroke-width="2"/>'
        )
    if objectif:
        # The objective pro rata of the days elapsed: from 0 on 1 January to its value on D.
        x_d = g + d.timetuple().tm_yday / _jours_annee(d.year) * 12 * pas
        dernier = prorata[-1] if prorata else 0
        corps.append(
            f'<line class="objectif" x1="{_n(g)}" y1="{_n(y(0))}" x2="{_n(x_d)}" '
            f'y2="{_n(y(dernier))}" stroke="#d94801" stroke-width="1.4" stroke-dasharray="4 3"/>'
        )
        corps.append(f'<circle cx="{_n(x_d)}" cy="{_n(y(dernier))}" r="3" fill="#d94801"/>')
    corps.append(
        f'<line x1="{g}" x2="{largeur - dr}" y1="{_n(y(0))}" y2="{_n(y(0))}" stroke="#333"/>'
    )
    return _svg(largeur, hauteur, f"{titre} : entrées comptabilisées et objectif", corps, "petit")


def stock_par_etat(stock: pl.DataFrame) -> str:
    """Stacked bars: open episodes per état category at each month's end (and on D)."""
    jours = stock.get_column("jour").unique().sort().to_list()
    largeur, hauteur, g, dr, h, b = 760, 320, 56, 12, 16, 74
    zone_l, zone_h = largeur - g - dr, hauteur - h - b
    totaux = stock.group_by("jour").agg(pl.col("episodes").sum()).get_column("episodes")
    ticks = _graduations(max(float(totaux.max() or 0), 1.0))
    haut = ticks[-1]
    pas = zone_l / max(len(jours), 1)

    def y(v: float) -> float:
        return h + zone_h - v / haut * zone_h

    corps = [f'<rect x="0" y="0" width="{largeur}" height="{hauteur}" fill="#fff"/>']
    for t in ticks:
        corps.append(
            f'<line x1="{g}" x2="{largeur - dr}" y1="{_n(y(t))}" y2="{_n(y(t))}" '
            'stroke="#ddd" stroke-width="0.6"/>'
        )
        corps.append(_texte(g - 4, y(t) + 4, _entier(t), 10, "end", fill="#555"))
    valeurs = {(j, c): n for j, c, n in stock.select("jour", "categorie", "episodes").iter_rows()}
    for i, jour in enumerate(jours):
        x = g + i * pas + pas * 0.15
        base = 0.0
        for c in CATEGORIES_STOCK:
            v = float(valeurs.get((jour, c), 0))
            if v > 0:
                corps.append(
                    f'<rect class="barre" x="{_n(x)}" y="{_n(y(base + v))}" '
                    f'width="{_n(pas * 0.7)}" height="{_n(y(base) - y(base + v))}" '
                    f'fill="{COULEURS_STOCK[c]}">'
                    f"<title>{escape(LIBELLES_STOCK[c])} : {_entier(v)}</title></rect>"
                )
            base += v
        etiquette = (
            f"au {jour:%d/%m}" if i == len(jours) - 1 else f"{MOIS[jour.month - 1]} {jour:%y}"
        )
        corps.append(_texte(x + pas * 0.35, h + zone_h + 14, etiquette, 10, "middle", fill="#333"))
    corps.append(
        f'<line x1="{g}" x2="{largeur - dr}" y1="{_n(y(0))}" y2="{_n(y(0))}" stroke="#333"/>'
    )
    corps += _legende(
        g, hauteur - 32, [(LIBELLES_STOCK[c], COULEURS_STOCK[c]) for c in CATEGORIES_STOCK], 230
    )
    return _svg(largeur, hauteur, "Épisodes en cours par état, fin de mois", corps, "grand")


def anomalies_par_code_et_age(anomalies: pl.DataFrame, d: dt.date) -> str:
    """Horizontal stacked bars: anomalies of the night per code, split by age (D - date_debut)."""
    age = (pl.lit(d, dtype=pl.Date) - pl.col("date_debut")).dt.total_days()
    tranche = pl.when(age.is_null() | (age <= TRANCHES_AGE[0][2]))
    expr = tranche.then(pl.lit(0))
    for i, (_, lo, hi) in enumerate(TRANCHES_AGE[1:], start=1):
        cond = age >= lo if hi is None else (age >= lo) & (age <= hi)
        expr = expr.when(cond).then(pl.lit(i))
    comptes = anomalies.with_columns(expr.alias("_tranche")).group_by("code", "_tranche").len()
    codes = anomalies.get_column("code").unique(maintain_order=True).to_list()
    valeurs = {(c, t): n for c, t, n in comptes.iter_rows()}
    largeur, g, dr, h, ligne = 760, 250, 40, 10, 22
    hauteur = h + max(len(codes), 1) * ligne + 58
    zone_l = largeur - g - dr
    totaux = [sum(valeurs.get((c, t), 0) for t in range(len(TRANCHES_AGE))) for c in codes]
    ticks = _graduations(max([*totaux, 1]))
    haut = ticks[-1]
    corps = [f'<rect x="0" y="0" width="{largeur}" height="{hauteur}" fill="#fff"/>']
    bas = h + max(len(codes), 1) * ligne
    for t in ticks:
        x = g + t / haut * zone_l
        corps.append(
            f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{h}" y2="{bas}" stroke="#ddd" '
            'stroke-width="0.6"/>'
        )
        corps.append(_texte(x, bas + 13, _entier(t), 10, "middle", fill="#555"))
    if not codes:
        corps.append(_texte(g, h + 15, "Aucune anomalie cette nuit.", 12))
    for i, (code, total) in enumerate(zip(codes, totaux, strict=True)):
        yc = h + i * ligne
        corps.append(_texte(g - 6, yc + 15, code, 10, "end"))
        base = 0
        for t, couleur in enumerate(COULEURS_AGE):
            v = valeurs.get((code, t), 0)
            if v:
                corps.append(
                    f'<rect class="barre" x="{_n(g + base / haut * zone_l)}" y="{yc + 3}" '
                    f'width="{_n(v / haut * zone_l)}" height="{ligne - 6}" fill="{couleur}">'
                    f"<title>{escape(code)}, {TRANCHES_AGE[t][0]} : {_entier(v)}</title></rect>"
                )
            base += v
        corps.append(_texte(g + base / haut * zone_l + 4, yc + 15, _entier(total), 10))
    corps += _legende(
        g,
        bas + 34,
        [(f"depuis {lib}", c) for (lib, _, _), c in zip(TRANCHES_AGE, COULEURS_AGE, strict=True)],
        130,
    )
    return _svg(largeur, hauteur, "Anomalies par code et ancienneté", corps, "grand")
