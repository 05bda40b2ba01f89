"""R3 (divergences) and R6 (concordance) of the stock reconciliation, without Dagster."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

import schemas
from rules.rapprochement import r3_divergences, r6_concordance
from tests.rules.stocks_exemples import REGIONS, SANS_CAUSE, VIDE, stock

AF1, AF2, AF3 = "AF0000000001", "AF0000000002", "AF0000000003"


def _r3(systeme, attendu, s, quarantaine=VIDE, causes=SANS_CAUSE):
    return r3_divergences(systeme, attendu.lazy(), s.lazy(), quarantaine.lazy(), causes.lazy())


def test_r3_stock_egal_a_la_vue_attendue_aucune_divergence():
    a = stock("P3", {"id_affectation": AF1}, {"id_affectation": AF2, "statut": "RADIE"})
    assert _r3("P3", a, a).is_empty()


def test_r3_episode_manquant_sauf_cle_en_quarantaine():
    a = stock("GIDE", {"id_affectation": AF1}, {"id_affectation": AF2})
    s = stock("GIDE", {"id_affectation": AF1})
    d = _r3("GIDE", a, s)
    assert d.select("code", "id_affectation").rows() == [("STOCK_EPISODE_MANQUANT", AF2)]
    q = pl.DataFrame({"id_affectation": [AF2]})
    assert _r3("GIDE", a, s, quarantaine=q).is_empty()


def test_r3_episode_en_trop_avec_sa_cause():
    a = stock("P3", {"id_affectation": AF1})
    s = stock("P3", {"id_affectation": AF1}, {"id_affectation": AF2}, {"id_affectation": AF3})
    causes = pl.DataFrame({"id_affectation": [AF2], "cause": ["refusé par E2"]})
    d = _r3("P3", a, s, causes=causes)
    assert d.select("code", "id_affectation", "cause").rows() == [
        ("STOCK_EPISODE_EN_TROP", AF2, "refusé par E2"),
        ("STOCK_EPISODE_EN_TROP", AF3, "inconnu de Passerelle"),
    ]


def test_r3_champs_de_codes_differents_une_divergence_par_code():
    a = stock("P3", {"id_affectation": AF1, "date_initialisation": dt.date(2010, 10, 5)})
    s = stock(
        "P3",
        {"id_affectation": AF1, "statut": "RADIE", "alerte_en_cours": "O", "code_ml": "13001"},
    )
    d = _r3("P3", a, s)
    assert d.select("code", "champ", "attendu", "stock").rows() == [
        ("STOCK_ECART_ALERTE", "alerte_en_cours", "N", "O"),
        (
            "STOCK_ECART_DONNEES",
            "code_ml, date_initialisation",
            "75001; 05/10/2010",
            "13001; (vide)",
        ),
        ("STOCK_ECART_STATUT", "statut", "INSCRIT", "RADIE"),
    ]


def test_r3_phase_ou_etat_de_dude_donne_un_ecart_d_etat():
    a = stock("DUDE", {"id_affectation": AF1})
    s = stock("DUDE", {"id_affectation": AF1, "phase": "ACCOMPAGNEMENT", "etat": "ACTIF"})
    d = _r3("DUDE", a, s)
    assert d.select("code", "champ").rows() == [("STOCK_ECART_ETAT", "phase, etat")]


def test_r3_stock_vide_tout_l_attendu_manque():
    a = stock("GIDE", {"id_affectation": AF1}, {"id_affectation": AF2})
    d = _r3("GIDE", a, stock("GIDE"))
    assert d["code"].to_list() == ["STOCK_EPISODE_MANQUANT"] * 2


def _r6(systeme, a, s):
    d = _r3(systeme, a, s)
    return r6_concordance(systeme, a.lazy(), s.lazy(), d, REGIONS.lazy())


def test_r6_taux_de_concordance_national_et_par_region():
    a = stock(
        "P3",
        {"id_affectation": AF1},
        {"id_affectation": AF2, "code_ml": "13001"},
        {"id_affectation": AF3},
    )
    s = stock("P3", {"id_affectation": AF1}, {"id_affectation": AF2, "code_ml": "13001"})
    r = _r6("P3", a, s)
    assert r.select("code_region", "attendus", "en_stock", "concordants").rows() == [
        (None, 3, 2, 2),
        ("11", 2, 1, 1),
        ("93", 1, 1, 1),
    ]
    assert r["taux_concordance"].to_list() == [2 / 3, 0.5, 1.0]


def test_r6_union_vide_pas_de_taux():
    r = _r6("GIDE", stock("GIDE"), stock("GIDE"))
    assert r.rows() == [("GIDE", None, 0, 0, 0, None)]


_ids = st.lists(st.integers(1, 10**9), min_size=1, max_size=30, unique=True)
_statuts = st.sampled_from(["INSCRIT", "CESSATION", "RADIE"])


@settings(max_examples=40, deadline=None)
@given(ids=_ids, statut=_statuts)
def test_r3_r6_invariant_stock_egal_attendu_cent_pour_cent(ids, statut):
    a = stock("P3", *({"id_affectation": f"AF{i:010d}", "statut": statut} for i in ids))
    r = _r6("P3", a, a)
    assert _r3("P3", a, a).is_empty()
    assert r["taux_concordance"][0] == 1.0


@settings(max_examples=40, deadline=None)
@given(
    ids=_ids,
    choix=st.data(),
    champ=st.sampled_from(
        [
            ("statut", "RADIE", "STOCK_ECART_STATUT"),
            ("alerte_en_cours", "O", "STOCK_ECART_ALERTE"),
            ("code_ml", "13001", "STOCK_ECART_DONNEES"),
            (None, None, "STOCK_EPISODE_MANQUANT"),
        ]
    ),
)
def test_r3_invariant_divergence_injectee_trouvee_avec_son_code(ids, choix, champ):
    cles = [f"AF{i:010d}" for i in ids]
    a = stock("P3", *({"id_affectation": c} for c in cles))
    cible = choix.draw(st.sampled_from(cles))
    nom, valeur, code = champ
    if nom is None:
        s = a.filter(pl.col("id_affectation") != cible)
    else:
        s = a.with_columns(
            pl.when(pl.col("id_affectation") == cible)
            .then(pl.lit(valeur))
            .otherwise(pl.col(nom))
            .alias(nom)
        )
    d = _r3("P3", a, s)
    assert d.select("code", "id_affectation").rows() == [(code, cible)]
    assert _r6("P3", a, s)["concordants"][0] == len(cles) - 1


# R2: the expected views, from the state on S and the content sent (`envoye`).

S = dt.date(2010, 10, 8)
AF4 = "AF0000000004"


def _episodes(*lignes: dict) -> pl.LazyFrame:
    base = {
        "id_de": "1234567A",
        "code_ml": "75001",
        "date_affectation": dt.date(2010, 10, 1),
        "date_fin": None,
        "origine_fin": None,
        "date_initialisation": None,
    }
    schema = {
        "id_affectation": pl.String,
        "id_de": pl.String,
        "code_ml": pl.String,
        "date_affectation": pl.Date,
        "date_fin": pl.Date,
        "origine_fin": pl.String,
        "date_initialisation": pl.Date,
    }
    return pl.DataFrame([{**base, **ligne} for ligne in lignes], schema=schema).lazy()


def _envoye(**frames: pl.DataFrame) -> dict[str, pl.LazyFrame]:
    import schemas

    out = {}
    for f in schemas.SORTANTS:
        vide = pl.DataFrame(schema=f.types_polars)
        out[f.nom] = frames.get(f.nom, vide).lazy()
    return out


def test_r2_gide_episodes_ouverts_sans_fin_propre_ni_sortie_envoyee():
    from rules.rapprochement import r2_attendu_gide

    episodes = _episodes(
        {"id_affectation": AF1},
        {"id_affectation": AF2, "date_fin": dt.date(2010, 10, 5), "origine_fin": "S4"},
        {"id_affectation": AF3, "date_fin": dt.date(2010, 10, 5), "origine_fin": "S1"},
        {"id_affectation": AF4, "date_affectation": dt.date(2010, 10, 9)},
    )
    envoye = _envoye(
        GIDE_IN_INITIALISATIONS=pl.DataFrame(
            {"id_affectation": [AF1], "date_initialisation": [dt.date(2010, 10, 3)]}
        ),
    )
    statuts = pl.LazyFrame(
        {
            "id_de": ["1234567A", "1234567A"],
            "statut": ["CESSATION", "RADIE"],
            "date_effet": [dt.date(2010, 10, 2), dt.date(2010, 10, 9)],
        }
    )
    a = r2_attendu_gide(episodes, statuts, envoye, S).collect()
    # AF3's S1 sortie was not sent yet: GIDE still holds it open; AF2 was ended by GIDE.
    assert a.select("id_affectation", "date_initialisation", "statut").rows() == [
        (AF1, dt.date(2010, 10, 3), "CESSATION"),
        (AF3, None, "CESSATION"),
    ]
    sortie = pl.DataFrame({"id_affectation": [AF3]})
    a = r2_attendu_gide(episodes, statuts, _envoye(GIDE_IN_SORTIES=sortie), S).collect()
    assert a["id_affectation"].to_list() == [AF1]


def test_r2_p3_affectations_envoyees_statut_et_alerte():
    from rules.rapprochement import r2_attendu_p3

    affectations = pl.DataFrame(
        {
            "id_affectation": [AF1, AF2, AF3],
            "id_de": ["1234567A", "7654321B", "1234567A"],
            "code_ml": ["75001"] * 3,
            "date_affectation": [dt.date(2010, 10, 1)] * 3,
        }
    )
    envoye = _envoye(
        P3_IN_AFFECTATIONS=affectations,
        P3_IN_ANNULATIONS=pl.DataFrame({"id_affectation": [AF3]}),
        P3_IN_STATUTS=pl.DataFrame(
            {
                "id_de": ["1234567A", "1234567A"],
                "statut": ["RADIE", "INSCRIT"],
                "date_effet": [dt.date(2010, 10, 2), dt.date(2010, 10, 20)],
            }
        ),
        P3_IN_TRAITEMENTS_ALERTE=pl.DataFrame({"id_alerte": ["AL2"]}),
    )
    alertes = pl.LazyFrame(
        {
            "id_alerte": ["AL1", "AL2"],
            "id_affectation": [AF1, AF2],
            "date_alerte": [dt.date(2010, 10, 4)] * 2,
        }
    )
    episodes = _episodes({"id_affectation": AF2, "date_initialisation": dt.date(2010, 10, 6)})
    a = r2_attendu_p3(episodes, alertes, envoye, S).collect()
    assert a.select(
        "id_affectation", "date_initialisation", "statut", "alerte_en_cours"
    ).rows() == [
        (AF1, None, "RADIE", "O"),
        (AF2, dt.date(2010, 10, 6), "INSCRIT", "N"),
    ]


def test_r2_dude_instantane_envoye_et_derniere_acceptation():
    from rules.rapprochement import r2_attendu_dude

    etats = pl.DataFrame(
        {
            "id_affectation": [AF1],
            "id_de": ["1234567A"],
            "code_ml": ["75001"],
            "phase": ["ENTREE"],
            "etat": ["ACCEPTATION"],
        }
    )
    acceptations = pl.LazyFrame(
        {
            "id_affectation": [AF1, AF1, AF1],
            "date_acceptation": [dt.date(2010, 10, 2), dt.date(2010, 10, 3), dt.date(2010, 10, 9)],
        }
    )
    a = r2_attendu_dude(acceptations, _envoye(DUDE_IN_ETATS=etats), S).collect()
    assert a.rows() == [(AF1, "1234567A", "75001", dt.date(2010, 10, 3), "ENTREE", "ACCEPTATION")]


# R5: which records carry the content a stock lacks, and at most one re-send per content.

S5 = dt.date(2010, 10, 5)


def _envoyes_r5(**frames: list[dict]) -> dict[str, pl.LazyFrame]:
    from rules.rapprochement import FLUX_ENVOYES

    vides = {f: [] for f in FLUX_ENVOYES}
    out = {}
    for nom, lignes in {**vides, **frames}.items():
        f = schemas.flux(nom)
        types = {"cle": pl.String, "nuit": pl.Date, "empreinte": pl.String, **f.types_polars}
        out[nom] = pl.DataFrame(
            [{c: ligne.get(c) for c in types} for ligne in lignes], schema=types
        ).lazy()
    return out


ALERTES = pl.DataFrame(
    {"id_alerte": ["AL0000000001"], "id_affectation": [AF1], "date_alerte": [dt.date(2010, 9, 1)]}
).lazy()


def test_r5_p3_ce_qui_manque_vient_des_enregistrements_envoyes():
    from rules.rapprochement import r5_a_renvoyer

    a = stock("P3", {"id_affectation": AF1, "statut": "RADIE"}, {"id_affectation": AF2})
    s = stock("P3", {"id_affectation": AF1, "alerte_en_cours": "O"}, {"id_affectation": AF3})
    envoye = _envoyes_r5(
        P3_IN_AFFECTATIONS=[
            {"cle": AF1, "id_affectation": AF1},
            {"cle": AF2, "id_affectation": AF2},
        ],
        P3_IN_STATUTS=[
            {"cle": "1234567A|01/09/2010", "id_de": "1234567A", "date_effet": dt.date(2010, 9, 1)},
            {"cle": "1234567A|01/10/2010", "id_de": "1234567A", "date_effet": dt.date(2010, 10, 1)},
            {"cle": "1234567A|09/10/2010", "id_de": "1234567A", "date_effet": dt.date(2010, 10, 9)},
        ],
        P3_IN_TRAITEMENTS_ALERTE=[{"cle": "AL0000000001", "id_alerte": "AL0000000001"}],
        P3_IN_SORTIES=[{"cle": AF3, "id_affectation": AF3}],
    )
    r = r5_a_renvoyer("P3", _r3("P3", a, s), ALERTES, envoye, S5)
    assert r.select("flux", "cle", "code").rows() == [
        ("P3_IN_AFFECTATIONS", AF2, "STOCK_EPISODE_MANQUANT"),
        ("P3_IN_SORTIES", AF3, "STOCK_EPISODE_EN_TROP"),  # P3 keeps open what it was told ended
        # the status expected on S: the latest date_effet ≤ S, not the later one
        ("P3_IN_STATUTS", "1234567A|01/10/2010", "STOCK_ECART_STATUT"),
        ("P3_IN_TRAITEMENTS_ALERTE", "AL0000000001", "STOCK_ECART_ALERTE"),
    ]


def test_r5_rien_pour_les_donnees_propres_ni_pour_dude():
    from rules.rapprochement import r5_a_renvoyer

    # P3's own date_initialisation; GIDE's own missing episode; DUDE: never re-sent
    p3 = _r3(
        "P3",
        stock("P3", {"id_affectation": AF1, "date_initialisation": S5}),
        stock("P3", {"id_affectation": AF1}),
    )
    gide = _r3("GIDE", stock("GIDE", {"id_affectation": AF1}), stock("GIDE"))
    dude = _r3(
        "DUDE",
        stock("DUDE", {"id_affectation": AF1}),
        stock("DUDE", {"id_affectation": AF1, "etat": "ACTIF"}),
    )
    envoye = _envoyes_r5(P3_IN_AFFECTATIONS=[{"cle": AF1, "id_affectation": AF1}])
    for systeme, d in (("P3", p3), ("GIDE", gide), ("DUDE", dude)):
        assert not d.is_empty()
        assert r5_a_renvoyer(systeme, d, ALERTES, envoye, S5).is_empty(), systeme


def test_r5_gide_initialisation_envoyee():
    from rules.rapprochement import r5_a_renvoyer

    d = _r3(
        "GIDE",
        stock("GIDE", {"id_affectation": AF1, "date_initialisation": S5, "code_ml": "13001"}),
        stock("GIDE", {"id_affectation": AF1}),
    )
    envoye = _envoyes_r5(GIDE_IN_INITIALISATIONS=[{"cle": AF1, "id_affectation": AF1}])
    r = r5_a_renvoyer("GIDE", d, ALERTES, envoye, S5)
    assert r.select("flux", "cle").rows() == [("GIDE_IN_INITIALISATIONS", AF1)]


def _renvois(anterieurs: list[tuple], actuelle: str = "e1", d: dt.date = S5) -> pl.DataFrame:
    from rules.rapprochement import r5_renvois

    a_renvoyer = pl.DataFrame(
        [("P3_IN_AFFECTATIONS", AF1, AF1, "STOCK_EPISODE_MANQUANT")],
        schema=["flux", "cle", "id_affectation", "code"],
        orient="row",
    )
    envoyes = pl.DataFrame({"flux": ["P3_IN_AFFECTATIONS"], "cle": [AF1], "empreinte": ["e1"]})
    actuels = pl.DataFrame({"flux": ["P3_IN_AFFECTATIONS"], "cle": [AF1], "empreinte": [actuelle]})
    deja = pl.DataFrame(
        anterieurs,
        schema={"flux": pl.String, "cle": pl.String, "empreinte": pl.String, "nuit": pl.Date},
        orient="row",
    )
    return r5_renvois(a_renvoyer, envoyes, actuels, deja, S5, d)


def test_r5_renvoye_la_nuit_du_stock_une_seule_fois_par_contenu():
    assert _renvois([]).select("renvoi", "a_envoyer").row(0) == (S5, True)
    avant = ("P3_IN_AFFECTATIONS", AF1, "e1", dt.date(2010, 10, 1))
    assert _renvois([avant]).select("renvoi", "a_envoyer").row(0) == (dt.date(2010, 10, 1), False)
    # another content re-sent earlier does not count: this content was never re-sent
    autre = ("P3_IN_AFFECTATIONS", AF1, "e0", dt.date(2010, 10, 1))
    assert _renvois([autre]).select("renvoi", "a_envoyer").row(0) == (S5, True)


def test_r5_ni_contenu_change_ni_nuit_suivante():
    # tonight's record differs: the upsert rule sends the new content, no re-send
    assert _renvois([], actuelle="e2").select("renvoi", "a_envoyer").row(0) == (None, False)
    # the stock listed again on a later night (R1): only the night of the stock re-sends
    plus_tard = _renvois([], d=S5 + dt.timedelta(days=1))
    assert plus_tard.select("renvoi", "a_envoyer").row(0) == (None, False)


def test_r3_pas_d_episode_en_trop_pour_une_acceptation_orpheline():
    from rules.rapprochement import r3_sans_orphelines

    d = _r3("DUDE", stock("DUDE"), stock("DUDE", {"id_affectation": AF1}, {"id_affectation": AF2}))
    acceptations = pl.LazyFrame(
        {"id_affectation": [AF1, AF2], "statut_acceptation": ["ORPHELINE", "APPLIQUEE"]}
    )
    assert r3_sans_orphelines(d, acceptations).get_column("id_affectation").to_list() == [AF2]


def test_r6_une_ml_sans_region_connue_compte_au_national_seulement():
    a = stock("P3", {"id_affectation": AF1}, {"id_affectation": AF2, "code_ml": "99999"})
    c = r6_concordance("P3", a.lazy(), a.lazy(), _r3("P3", a, a), REGIONS.lazy())
    assert c.select("code_region", "attendus", "concordants").rows() == [
        (None, 2, 2),
        ("11", 1, 1),
    ]
