"""The 26 regions of 2010 and the annexe 4 regional objectives, embedded in the project.

The project never reads the contract folder at run time, so the reference figures live here
as constants (copied from `reference/regions_2010.csv` and
`reference/objectifs_regionaux_annexe4.csv`; a test checks they still agree when that folder
is there).

Annexe 4 of the accord-cadre ("Répartition par Région des suivis en cotraitance") lists the
2009 objectives as a reminder and the 2010 ones. The 2010 column adds up to 150 000; the 2009
column adds up to 129 999 although the source's total line says 130 000: the figures are
reproduced as given, never adjusted.
"""

from __future__ import annotations

import polars as pl

# (code INSEE, name), in the source's order: metropolitan regions alphabetically, then overseas.
REGIONS_2010: tuple[tuple[str, str], ...] = (
    ("42", "Alsace"),
    ("72", "Aquitaine"),
    ("83", "Auvergne"),
    ("25", "Basse-Normandie"),
    ("26", "Bourgogne"),
    ("53", "Bretagne"),
    ("24", "Centre"),
    ("21", "Champagne-Ardenne"),
    ("94", "Corse"),
    ("43", "Franche-Comté"),
    ("23", "Haute-Normandie"),
    ("11", "Île-de-France"),
    ("91", "Languedoc-Roussillon"),
    ("74", "Limousin"),
    ("41", "Lorraine"),
    ("73", "Midi-Pyrénées"),
    ("31", "Nord-Pas-de-Calais"),
    ("52", "Pays de la Loire"),
    ("22", "Picardie"),
    ("54", "Poitou-Charentes"),
    ("93", "Provence-Alpes-Côte d'Azur"),
    ("82", "Rhône-Alpes"),
    ("01", "Guadeloupe"),
    ("03", "Guyane"),
    ("02", "Martinique"),
    ("04", "La Réunion"),
)

NOMS_REGIONS: dict[str, str] = dict(REGIONS_2010)

# Annexe 4, in the order of REGIONS_2010.
_ANNEXE4_2009 = (
    3028, 6554, 2540, 3677, 3381, 4950, 4550, 3133, 567, 2133, 5124, 16664, 5417,
    1183, 4994, 5024, 13289, 7137, 5172, 3192, 9886, 10338, 1609, 435, 1346, 4676,
)  # fmt: skip
_ANNEXE4_2010 = (
    3495, 7562, 2931, 4243, 3911, 5711, 5255, 3415, 646, 2461, 5922, 19702, 6250,
    1375, 5762, 5787, 15243, 8235, 5967, 3683, 11427, 11962, 1857, 502, 1553, 5143,
)  # fmt: skip

OBJECTIFS_ANNEXE4: dict[int, dict[str, int]] = {
    annee: {code: objectif for (code, _), objectif in zip(REGIONS_2010, valeurs, strict=True)}
    for annee, valeurs in ((2009, _ANNEXE4_2009), (2010, _ANNEXE4_2010))
}

# The source's own totals; 2009's printed total (130 000) is not the sum of its column.
TOTAL_ANNEXE4 = {2009: 129_999, 2010: 150_000}


def regions() -> pl.DataFrame:
    """code_region, nom_region: the 26 regions of 2010, in the source's order."""
    return pl.DataFrame(
        {"code_region": [c for c, _ in REGIONS_2010], "nom_region": [n for _, n in REGIONS_2010]}
    )


def objectifs_annexe4() -> pl.DataFrame:
    """niveau (REGION), code, annee, objectif: the annexe 4 table, as REF_OBJECTIFS lays it out."""
    lignes = [
        ("REGION", code, annee, objectif)
        for annee, par_region in OBJECTIFS_ANNEXE4.items()
        for code, objectif in par_region.items()
    ]
    return pl.DataFrame(
        lignes,
        schema={"niveau": pl.String, "code": pl.String, "annee": pl.Int64, "objectif": pl.Int64},
        orient="row",
    )
