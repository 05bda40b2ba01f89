"""SFTP settings: environment variables, TOML settings file, and what they refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.sftp_config import SftpConfig, SftpConfigError, charger, charger_tout

COMPLET = {
    "PASSERELLE_SFTP_GIDE_HOST": "sftp.gide.example.fr",
    "PASSERELLE_SFTP_GIDE_USER": "passerelle",
    "PASSERELLE_SFTP_GIDE_KEY": "/etc/passerelle/gide_ed25519",
    "PASSERELLE_SFTP_GIDE_KNOWN_HOSTS": "/etc/passerelle/known_hosts",
    "PASSERELLE_SFTP_GIDE_INBOX": "/depot/inbox",
    "PASSERELLE_SFTP_GIDE_OUTBOX": "/depot/outbox",
}


def _toml(tmp_path: Path, texte: str) -> Path:
    chemin = tmp_path / "passerelle.toml"
    chemin.write_text(texte)
    return chemin


def test_config_depuis_variables_d_environnement() -> None:
    env = COMPLET | {"PASSERELLE_SFTP_GIDE_PORT": "2222", "PASSERELLE_SFTP_GIDE_RETRIES": "5"}

    config = charger("GIDE", env)

    assert config == SftpConfig(
        systeme="GIDE",
        host="sftp.gide.example.fr",
        user="passerelle",
        key=Path("/etc/passerelle/gide_ed25519"),
        known_hosts=Path("/etc/passerelle/known_hosts"),
        inbox="/depot/inbox",
        outbox="/depot/outbox",
        port=2222,
        retries=5,
    )


def test_config_depuis_fichier_toml_chemins_relatifs_au_fichier(tmp_path: Path) -> None:
    settings = _toml(
        tmp_path,
        """
[base]
url = "sans rapport avec SFTP"

[sftp.p3]
host = "sftp.p3.example.fr"
user = "passerelle"
key = "cles/p3_ed25519"
known_hosts = "/etc/passerelle/known_hosts"
inbox = "inbox"
outbox = "outbox"
timeout = 12.5
""",
    )

    config = charger("P3", {}, settings)

    assert config is not None
    assert config.key == tmp_path / "cles" / "p3_ed25519"
    assert config.known_hosts == Path("/etc/passerelle/known_hosts")
    assert (config.timeout, config.port, config.inbox) == (12.5, 22, "inbox")
    assert charger("GIDE", {}, settings) is None
    assert set(charger_tout({"PASSERELLE_SETTINGS": str(settings)})) == {"P3"}


def test_variable_d_environnement_prime_sur_le_fichier(tmp_path: Path) -> None:
    settings = _toml(
        tmp_path,
        "[sftp.gide]\n"
        + "".join(f'{k.rsplit("GIDE_", 1)[1].lower()} = "{v}"\n' for k, v in COMPLET.items()),
    )

    config = charger("GIDE", {"PASSERELLE_SFTP_GIDE_HOST": "secours.example.fr"}, settings)

    assert config is not None
    assert config.host == "secours.example.fr"
    assert config.user == "passerelle"


def test_ref_sans_dossier_de_sortie() -> None:
    env = {k.replace("_GIDE_", "_REF_"): v for k, v in COMPLET.items() if "OUTBOX" not in k}
    config = charger("REF", env)
    assert config is not None
    assert config.outbox is None


def test_systeme_sans_reglage_reste_local() -> None:
    assert charger("DUDE", COMPLET) is None
    assert set(charger_tout(COMPLET)) == {"GIDE"}


@pytest.mark.parametrize("cle", ["password", "passphrase", "Password"])
def test_mot_de_passe_refuse_dans_le_fichier(tmp_path: Path, cle: str) -> None:
    settings = _toml(tmp_path, f'[sftp.gide]\nhost = "h"\n{cle} = "secret-de-test"\n')
    with pytest.raises(SftpConfigError, match="interdit") as erreur:
        charger("GIDE", {}, settings)
    assert "secret-de-test" not in str(erreur.value)


def test_mot_de_passe_refuse_dans_l_environnement() -> None:
    env = COMPLET | {"PASSERELLE_SFTP_GIDE_PASSWORD": "secret-de-test"}
    with pytest.raises(SftpConfigError, match="interdit") as erreur:
        charger("GIDE", env)
    assert "secret-de-test" not in str(erreur.value)


def test_parametre_manquant_nomme_la_variable() -> None:
    env = {k: v for k, v in COMPLET.items() if not k.endswith("_KNOWN_HOSTS")}
    with pytest.raises(SftpConfigError, match="PASSERELLE_SFTP_GIDE_KNOWN_HOSTS"):
        charger("GIDE", env)


@pytest.mark.parametrize(
    ("texte", "motif"),
    [
        ('[sftp.gide]\nhots = "x"\n', "paramètre inconnu « hots »"),
        ('[sftp.gid]\nhost = "x"\n', r"système inconnu \[sftp.gid\]"),
        ("[sftp.gide\n", "illisible"),
    ],
)
def test_fichier_errone_refuse(tmp_path: Path, texte: str, motif: str) -> None:
    with pytest.raises(SftpConfigError, match=motif):
        charger("GIDE", {}, _toml(tmp_path, texte))


@pytest.mark.parametrize(
    ("variable", "valeur"),
    [("PORT", "abc"), ("PORT", "70000"), ("RETRIES", "-1"), ("TIMEOUT", "0")],
)
def test_valeur_invalide_refusee(variable: str, valeur: str) -> None:
    with pytest.raises(SftpConfigError, match=f"PASSERELLE_SFTP_GIDE_{variable}"):
        charger("GIDE", COMPLET | {f"PASSERELLE_SFTP_GIDE_{variable}": valeur})


def test_fichier_de_parametres_absent(tmp_path: Path) -> None:
    with pytest.raises(SftpConfigError, match="introuvable"):
        charger("GIDE", {}, tmp_path / "absent.toml")


def test_pause_exponentielle_plafonnee() -> None:
    config = charger(
        "GIDE",
        COMPLET | {"PASSERELLE_SFTP_GIDE_BACKOFF": "1", "PASSERELLE_SFTP_GIDE_BACKOFF_MAX": "5"},
    )
    assert config is not None
    assert [config.pause(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]


def test_staging_par_defaut_sous_passerelle_home() -> None:
    config = charger("GIDE", COMPLET)
    assert config is not None
    assert config.dossier_staging({"PASSERELLE_HOME": "/srv/passerelle"}) == Path(
        "/srv/passerelle/staging/sftp/gide"
    )
    assert config.dossier_staging({}) == Path("var/staging/sftp/gide")
    assert config.variable_phrase_secrete.endswith("_GIDE_KEY_PASSPHRASE")  # a variable name
