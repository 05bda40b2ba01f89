"""SftpDropZone against a real OpenSSH server (fixtures/sshd.py, started once per session).

The server runs on this machine, so its folders are local paths: what the tests check on
disk is what the server really holds. Mid-transfer events (a killed or frozen server, a
look at the outbox during an upload) happen inside the zone's progress callback, so they
land at a known point of the transfer and no test sleeps to synchronise.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import socket
import stat
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from connectors.dropzone import DropZoneError
from connectors.sftp import ChecksumMismatch, HostKeyRejected, SftpDropZone, depot_sftp
from fixtures.sshd import ServeurSsh, generer_cle
from pipelines.reglages import Reglages
from schemas.dialect import FichierRejete, Ok
from tests.pannes import ServeurMuet
from tests.sshd import FabriqueZone

pytestmark = pytest.mark.sftp

NOM = "GIDE_STATUTS_20100315.csv"
# Bounds a test that would otherwise hang forever: a guard, not a speed requirement.
GARDE_FOU = 60.0
# Few reads in flight: a transfer interrupted at its first chunk is far from its end.
PEU_EN_VOL = {"max_requests": 4, "window_size": 2**21}


def _deposer_entree(dossier: Path, nom: str, data: bytes, ok: bool = True) -> None:
    (dossier / nom).write_bytes(data)
    if ok:
        (dossier / f"{nom}.ok").write_bytes(Ok.of(data, 1).render())


def _reprises(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "connectors.sftp" and "nouvelle tentative" in r.getMessage()
    ]


def _connexions(journal: str) -> int:
    return journal.count("Connection from 127.0.0.1")


# -- listing ---------------------------------------------------------------------------------


def test_liste_fichier_complet_seulement_avec_son_ok(
    zone_sftp: FabriqueZone, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    _deposer_entree(inbox, "GIDE_STATUTS_20100315.csv", b"a;b\n1;2\n", ok=False)
    _deposer_entree(inbox, "P3_ACCUEILS_20100315.csv", b"x;y\n", ok=True)
    zone = zone_sftp()

    fichiers = {f.nom: f for f in zone.lister()}

    assert set(fichiers) == {"GIDE_STATUTS_20100315.csv", "P3_ACCUEILS_20100315.csv"}
    assert not fichiers["GIDE_STATUTS_20100315.csv"].complet
    assert fichiers["GIDE_STATUTS_20100315.csv"].taille == 8
    assert fichiers["P3_ACCUEILS_20100315.csv"].complet

    (inbox / "GIDE_STATUTS_20100315.csv.ok").write_bytes(b"sha256=0;rows=1\n")
    assert all(f.complet for f in zone.lister())


def test_liste_ignore_noms_temporaires_et_dossiers(zone_sftp: FabriqueZone, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    _deposer_entree(inbox, NOM, b"a\n")
    for temporaire in (f".{NOM}.1a2b.part", f"{NOM}.part", f"{NOM}.tmp", ".cache"):
        (inbox / temporaire).write_bytes(b"partiel")
    (inbox / "archives").mkdir()

    assert [f.nom for f in zone_sftp().lister()] == [NOM]


def test_liste_dossier_absent_erreur_claire(zone_sftp: FabriqueZone, tmp_path: Path) -> None:
    zone = zone_sftp(inbox=str(tmp_path / "absent"))
    with pytest.raises(DropZoneError, match=r"dossier d'entrée .*introuvable"):
        zone.lister()


# -- reading and downloading -----------------------------------------------------------------


@pytest.mark.parametrize("taille", [0, 1, 261_120, 3 * 2**20 + 17])
def test_lire_octets_identiques(zone_sftp: FabriqueZone, tmp_path: Path, taille: int) -> None:
    data = os.urandom(taille)
    _deposer_entree(tmp_path / "inbox", NOM, data)
    zone = zone_sftp()

    assert zone.lire(NOM) == data
    assert zone.lire_ok(NOM) == Ok.of(data, 1).render()
    # Nothing of the file lingers in the staging folder once its bytes are handed over.
    assert list((tmp_path / "staging").iterdir()) == []


def test_telecharger_verifie_sha256_du_ok(zone_sftp: FabriqueZone, tmp_path: Path) -> None:
    data = os.urandom(2 * 2**20)
    _deposer_entree(tmp_path / "inbox", NOM, data)
    destination = tmp_path / "recu"

    chemin = zone_sftp().telecharger(NOM, destination, Ok.of(data, 1))

    assert chemin == destination / NOM
    assert chemin.read_bytes() == data
    assert stat.S_IMODE(chemin.stat().st_mode) == 0o600
    assert stat.S_IMODE(destination.stat().st_mode) == 0o700
    assert sorted(p.name for p in destination.iterdir()) == [NOM]


def test_telecharger_somme_differente_rejete_sans_rien_garder(
    zone_sftp: FabriqueZone, tmp_path: Path
) -> None:
    data = os.urandom(300_000)
    _deposer_entree(tmp_path / "inbox", NOM, data)
    autre = Ok.of(data + b"x", 1)
    destination = tmp_path / "recu"

    with pytest.raises(ChecksumMismatch) as erreur:
        zone_sftp().telecharger(NOM, destination, autre)

    assert isinstance(erreur.value, FichierRejete)
    assert erreur.value.motif == "CHECKSUM"
    assert NOM in str(erreur.value)
    assert list(destination.iterdir()) == []


def test_lire_fichier_absent_erreur_sans_reprise(
    zone_sftp: FabriqueZone, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(DropZoneError, match=f"{NOM}.*introuvable"):
        zone_sftp().lire(NOM)
    assert _reprises(caplog) == []


# -- host key and authentication --------------------------------------------------------------


@pytest.mark.parametrize("known_hosts", ["autre_cle", "vide"])
def test_cle_hote_inconnue_refusee_sans_reprise(
    zone_sftp: FabriqueZone,
    sshd: ServeurSsh,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    known_hosts: str,
) -> None:
    fichier = tmp_path / "known_hosts_test"
    if known_hosts == "vide":
        fichier.write_text("")
    else:
        sshd.known_hosts(fichier, generer_cle(tmp_path / "autre_hote", "autre"))
    zone = zone_sftp(known_hosts=fichier, retries=3)
    debut = sshd.taille_journal()

    with pytest.raises(HostKeyRejected) as erreur:
        zone.lister()

    message = str(erreur.value)
    assert f"clé d'hôte inconnue ou modifiée pour 127.0.0.1:{sshd.port}" in message
    journal = sshd.journal_depuis(debut)
    assert _connexions(journal) == 1  # one attempt, not retried
    assert "Accepted publickey" not in journal  # the connection went no further
    assert _reprises(caplog) == []
    assert zone.adresse_locale is None


def test_known_hosts_hache_accepte(
    zone_sftp: FabriqueZone, sshd: ServeurSsh, tmp_path: Path
) -> None:
    fichier = sshd.known_hosts(tmp_path / "known_hosts_hache")
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(fichier)], check=True, capture_output=True)
    assert "127.0.0.1" not in fichier.read_text()  # Debian's HashKnownHosts format

    assert zone_sftp(known_hosts=fichier).lister() == []


def test_type_de_cle_d_hote_negocie_celui_du_known_hosts(
    zone_sftp: FabriqueZone, sshd: ServeurSsh, tmp_path: Path
) -> None:
    # The server offers ed25519 first; knowing only its RSA key, the client must ask for RSA
    # rather than fetch an ed25519 key it could not check.
    fichier = sshd.known_hosts(tmp_path / "known_hosts_rsa", sshd.cle_hote_rsa)

    assert zone_sftp(known_hosts=fichier).lister() == []


def test_cle_client_refusee_sans_reprise(
    zone_sftp: FabriqueZone, sshd: ServeurSsh, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    generer_cle(tmp_path / "intrus", "intrus")
    zone = zone_sftp(key=tmp_path / "intrus", retries=3)
    debut = sshd.taille_journal()

    with pytest.raises(DropZoneError, match="authentification par clé refusée"):
        zone.lister()

    journal = sshd.journal_depuis(debut)
    assert _connexions(journal) == 1
    assert "Accepted publickey" not in journal
    assert _reprises(caplog) == []


def test_cle_client_lisible_par_autres_refusee(zone_sftp: FabriqueZone, tmp_path: Path) -> None:
    generer_cle(tmp_path / "ouverte", "ouverte")
    (tmp_path / "ouverte").chmod(0o644)
    with pytest.raises(DropZoneError, match="lisible par d'autres"):
        zone_sftp(key=tmp_path / "ouverte").lister()


def test_cle_chiffree_phrase_secrete_par_variable_d_environnement(
    zone_sftp: FabriqueZone,
    sshd: ServeurSsh,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    phrase = "phrase-de-test-" + os.urandom(4).hex()
    sshd.autoriser(generer_cle(tmp_path / "chiffree", "chiffree", phrase))
    zone = zone_sftp(key=tmp_path / "chiffree")
    monkeypatch.delenv(zone.config.variable_phrase_secrete, raising=False)

    with pytest.raises(DropZoneError, match=r"chiffrée.*_GIDE_KEY_PASSPHRASE") as erreur:
        zone.lister()
    monkeypatch.setenv(zone.config.variable_phrase_secrete, phrase)

    assert zone.lister() == []
    assert phrase not in str(erreur.value)
    assert all(phrase not in r.getMessage() for r in caplog.records)


# -- network failures: retries and timeouts --------------------------------------------------


def _port_ferme() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connexion_refusee_reprises_avec_pause_exponentielle(
    zone_sftp: FabriqueZone, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="connectors.sftp")
    zone = zone_sftp(port=_port_ferme(), retries=3, backoff=0.01, backoff_max=0.03)

    with pytest.raises(DropZoneError, match=r"échec après 4 tentative\(s\) \(connexion refusée\)"):
        zone.lister()

    reprises = _reprises(caplog)
    assert len(reprises) == 3
    assert [m.rsplit("dans ", 1)[1] for m in reprises] == ["0.01 s", "0.02 s", "0.03 s"]


def test_serveur_muet_delai_de_connexion_borne(
    zone_sftp: FabriqueZone, serveur_muet: ServeurMuet
) -> None:
    zone = zone_sftp(port=serveur_muet.port, connect_timeout=0.5, retries=1, backoff=0.01)

    resultat = _sous_garde(zone.lister)

    assert isinstance(resultat, DropZoneError)
    assert "échec après 2 tentative(s) (délai dépassé)" in str(resultat)
    serveur_muet.attendre(2)
    assert len(serveur_muet.acceptees) == 2


def _signaler_la_session(
    sshd: ServeurSsh, adresse: tuple[str, int] | None, sig: signal.Signals, touches: list[int]
) -> None:
    """Signal the sshd processes serving the zone's connection (found by its local port)."""
    if adresse is None:
        return
    pids = sshd.processus_de_la_connexion(adresse[1])
    touches += pids
    sshd.signaler(pids, sig)


def _sous_garde(operation: Callable[[], object]) -> object:
    """Run `operation` in a thread; fail (instead of hanging) past GARDE_FOU seconds.

    Returns the operation's result, or the exception it raised.
    """
    issue: list[object] = []

    def executer() -> None:
        try:
            issue.append(operation())
        except Exception as exc:
            issue.append(exc)

    fil = threading.Thread(target=executer, daemon=True)
    fil.start()
    fil.join(GARDE_FOU)
    if fil.is_alive():
        pytest.fail(f"opération toujours bloquée après {GARDE_FOU:.0f} s (aucun délai appliqué)")
    return issue[0]


def test_connexion_coupee_pendant_telechargement_reprise_complete(
    zone_sftp: FabriqueZone, sshd: ServeurSsh, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = os.urandom(8 * 2**20)
    _deposer_entree(tmp_path / "inbox", NOM, data)
    destination = tmp_path / "recu"
    tues: list[int] = []
    vu_pendant: list[list[str]] = []

    def progression(nom: str, fait: int, total: int) -> None:
        if not tues:
            vu_pendant.append(sorted(p.name for p in destination.iterdir()))
            _signaler_la_session(sshd, zone.adresse_locale, signal.SIGKILL, tues)

    zone = zone_sftp(progression=progression, **PEU_EN_VOL)
    chemin = zone.telecharger(NOM, destination, Ok.of(data, 1))

    assert tues, "aucun processus sshd trouvé pour la connexion"
    assert len(vu_pendant[0]) == 1 and vu_pendant[0][0].endswith(".part")  # not the final name
    assert chemin.read_bytes() == data
    assert sorted(p.name for p in destination.iterdir()) == [NOM]
    reprises = _reprises(caplog)
    assert len(reprises) == 1 and "connexion interrompue" in reprises[0]


@pytest.mark.parametrize("reprises_permises", [0, 1])
def test_serveur_fige_pendant_telechargement_delai_borne(
    zone_sftp: FabriqueZone,
    sshd: ServeurSsh,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    reprises_permises: int,
) -> None:
    data = os.urandom(8 * 2**20)
    _deposer_entree(tmp_path / "inbox", NOM, data)
    destination = tmp_path / "recu"
    figes: list[int] = []

    def progression(nom: str, fait: int, total: int) -> None:
        if not figes:
            _signaler_la_session(sshd, zone.adresse_locale, signal.SIGSTOP, figes)

    zone = zone_sftp(progression=progression, timeout=1.0, retries=reprises_permises, **PEU_EN_VOL)
    try:
        resultat = _sous_garde(lambda: zone.telecharger(NOM, destination, Ok.of(data, 1)))
    finally:
        sshd.signaler(figes, signal.SIGCONT)

    assert figes, "aucun processus sshd trouvé pour la connexion"
    if reprises_permises:
        assert isinstance(resultat, Path) and resultat.read_bytes() == data
        assert "délai dépassé" in _reprises(caplog)[0]
        assert sorted(p.name for p in destination.iterdir()) == [NOM]
    else:
        assert isinstance(resultat, DropZoneError)
        assert "(délai dépassé)" in str(resultat)
        assert list(destination.iterdir()) == []


# -- uploading ---------------------------------------------------------------------------------


class _Observateur:
    """Samples the outbox (name -> size) on the server's disk while an upload runs."""

    def __init__(self, dossier: Path) -> None:
        self.dossier = dossier
        self.vus: list[dict[str, int]] = []
        self.fin = threading.Event()
        self.fil = threading.Thread(target=self._observer, daemon=True)

    def _observer(self) -> None:
        while not self.fin.is_set():
            vu = {}
            for entree in os.scandir(self.dossier):
                try:
                    vu[entree.name] = entree.stat().st_size
                except FileNotFoundError:  # renamed between listing and stat
                    continue
            self.vus.append(vu)
            self.fin.wait(0.001)  # sampling pace, not synchronisation

    def __enter__(self) -> _Observateur:
        self.fil.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.fin.set()
        self.fil.join()


def test_depot_nom_final_jamais_partiel(zone_sftp: FabriqueZone, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    data = os.urandom(6 * 2**20)
    ok = Ok.of(data, 1).render()
    pendant: list[dict[str, int]] = []

    def progression(nom: str, fait: int, total: int) -> None:
        if nom == NOM and fait < total and not pendant:
            pendant.append({e.name: stat.S_IMODE(e.stat().st_mode) for e in os.scandir(outbox)})

    zone = zone_sftp(progression=progression, **PEU_EN_VOL)
    with _Observateur(outbox) as observateur:
        zone.deposer(NOM, data, ok)

    # Mid-upload: only a hidden temporary file, already 0600, no final name, no `.ok`.
    assert len(pendant) == 1
    [(temporaire, mode)] = pendant[0].items()
    assert temporaire.startswith(f".{NOM}.") and temporaire.endswith(".part")
    assert mode == 0o600
    # Every sample: the final name is whole when present, the `.ok` never precedes the data.
    assert observateur.vus
    for vu in observateur.vus:
        if NOM in vu:
            assert vu[NOM] == len(data)
        if f"{NOM}.ok" in vu:
            assert vu.get(NOM) == len(data)
    assert sorted(os.listdir(outbox)) == [NOM, f"{NOM}.ok"]
    assert (outbox / NOM).read_bytes() == data
    assert (outbox / f"{NOM}.ok").read_bytes() == ok
    assert stat.S_IMODE((outbox / NOM).stat().st_mode) == 0o600
    assert zone.lister_sortie() == [NOM, f"{NOM}.ok"]


def test_depot_rejoue_laisse_un_seul_fichier_complet(
    zone_sftp: FabriqueZone, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    premier, second = os.urandom(700_000), os.urandom(900_000)
    pendant: list[set[str]] = []

    def progression(nom: str, fait: int, total: int) -> None:
        if nom == NOM and total == len(second) and not pendant:
            pendant.append(set(os.listdir(outbox)))

    zone = zone_sftp(progression=progression, **PEU_EN_VOL)
    zone.deposer(NOM, premier, Ok.of(premier, 1).render())
    # What an interrupted attempt would have left: removed by the next deposit.
    (outbox / f".{NOM}.0badc0ffee00.part").write_bytes(premier[:1000])
    zone.deposer(NOM, second, Ok.of(second, 1).render())

    # While the new data was being written, the old `.ok` no longer vouched for anything.
    assert f"{NOM}.ok" not in pendant[0]
    assert sorted(os.listdir(outbox)) == [NOM, f"{NOM}.ok"]
    assert (outbox / NOM).read_bytes() == second
    ecrit = Ok.parse((outbox / f"{NOM}.ok").read_bytes())
    assert ecrit.sha256 == hashlib.sha256(second).hexdigest()


def test_connexion_coupee_pendant_depot_reprise_complete(
    zone_sftp: FabriqueZone, sshd: ServeurSsh, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = tmp_path / "outbox"
    data = os.urandom(4 * 2**20)
    tues: list[int] = []

    def progression(nom: str, fait: int, total: int) -> None:
        if not tues:
            _signaler_la_session(sshd, zone.adresse_locale, signal.SIGKILL, tues)

    zone = zone_sftp(progression=progression, **PEU_EN_VOL)
    zone.deposer(NOM, data, Ok.of(data, 1).render())

    assert tues
    assert len(_reprises(caplog)) == 1
    assert sorted(os.listdir(outbox)) == [NOM, f"{NOM}.ok"]  # the broken attempt's file is gone
    assert (outbox / NOM).read_bytes() == data


def _empreinte(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("profil", ["lecture_seule", "renommage_refuse"])
def test_depot_permission_refusee_rien_de_partiel(
    zone_sftp: FabriqueZone, tmp_path: Path, caplog: pytest.LogCaptureFixture, profil: str
) -> None:
    outbox = tmp_path / "outbox"
    data = os.urandom(1_000_000)
    avant = _empreinte(data)
    zone = zone_sftp(profil)

    with pytest.raises(DropZoneError) as erreur:
        zone.deposer(NOM, data, Ok.of(data, 1).render())

    message = str(erreur.value)
    assert "permission refusée" in message and NOM in message and zone.nom in message
    # renommage_refuse: the data reached a temporary file, which was removed.
    assert os.listdir(outbox) == []
    assert _empreinte(data) == avant
    assert _reprises(caplog) == []


def test_depot_disque_plein_erreur_claire_rien_de_partiel(
    zone_sftp: FabriqueZone, petit_tmpfs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = os.urandom(3 * 2**20)
    avant = _empreinte(data)
    zone = zone_sftp(outbox=str(petit_tmpfs))

    with pytest.raises(DropZoneError, match="espace disque insuffisant") as erreur:
        zone.deposer(NOM, data, Ok.of(data, 1).render())

    assert NOM in str(erreur.value)
    assert os.listdir(petit_tmpfs) == []
    assert _empreinte(data) == avant
    assert _reprises(caplog) == []
    # The removed temporary file gave its space back: a file that fits goes through.
    petit = os.urandom(100_000)
    zone.deposer(NOM, petit, Ok.of(petit, 1).render())
    assert (petit_tmpfs / NOM).read_bytes() == petit


def test_depot_sftp_de_bout_en_bout(sshd: ServeurSsh, tmp_path: Path) -> None:
    serveur = tmp_path / "serveur"
    (serveur / "inbox").mkdir(parents=True)
    (serveur / "outbox").mkdir()
    _deposer_entree(serveur / "inbox", NOM, b"a;b\n1;2\n")
    settings = tmp_path / "passerelle.toml"
    settings.write_text(
        "[sftp.gide]\n"
        f'host = "127.0.0.1"\nport = {sshd.port}\nuser = "{sshd.user}"\n'
        f'key = "{sshd.cle_client}"\n'
        f'known_hosts = "{sshd.known_hosts(tmp_path / "known_hosts")}"\n'
        f'inbox = "{serveur / "inbox"}"\noutbox = "{serveur / "outbox"}"\n'
    )
    depot = depot_sftp(settings, Reglages.depuis_env({"PASSERELLE_HOME": str(tmp_path)}), {})
    gide = depot.zone("GIDE")

    assert [f.nom for z in depot.zones_entree() if z is gide for f in z.lister()] == [NOM]
    assert gide.lire(NOM) == b"a;b\n1;2\n"
    gide.deposer("GIDE_IN_X_20100315.csv", b"x\n", b"ok\n")
    assert sorted(os.listdir(serveur / "outbox")) == [
        "GIDE_IN_X_20100315.csv",
        "GIDE_IN_X_20100315.csv.ok",
    ]
    assert isinstance(gide, SftpDropZone)
    gide.close()
