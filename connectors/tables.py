"""The database's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Timestamps are naive UTC (`DateTime()` without zone), the same on both databases.

- `fichiers`: the ledger of every file received, keyed by name and content hash, with its
  `.ok`, its fate and its counts. Rows of a file are visible to the rules only once the file
  is APPLIQUE, so a crash half-way through writing them leaves nothing half-applied.
- `h_<flow>`: the validated rows of each inbound flow, every version kept (corrections are
  resolved when reading, "latest file wins").
- `quarantaine` (reasons) and `quarantaine_contenu` (the raw values, purged by retention).
- `flux_manquants` and `nuits`: what each night expected and how it ended.
- `emissions` and `signalements`: what each night sent and which event anomalies it reported,
  the memory behind the upsert rule ("sent by an earlier night"); `emissions_lots`: one row
  per flow and night written to `emissions`, with a token that changes at each write.
"""

from __future__ import annotations

import sqlalchemy as sa

import schemas

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Ledger statuses of a file.
RECU = "RECU"  # landed: checked against its .ok, staged, waiting for validation
EN_COURS = "EN_COURS"  # claimed by a validation under way
APPLIQUE = "APPLIQUE"  # its valid rows are part of the history
REJETE = "REJETE"  # rejected whole, set aside

fichiers = sa.Table(
    "fichiers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("nom", sa.String(80), nullable=False),
    sa.Column("flux", sa.String(40), nullable=False),
    sa.Column("date_fichier", sa.Date, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("sha256_ok", sa.String(64), nullable=True),  # as announced by the .ok
    sa.Column("taille", sa.BigInteger, nullable=False),
    sa.Column("lignes_ok", sa.Integer, nullable=True),
    sa.Column("statut", sa.String(12), nullable=False),
    sa.Column("motif_rejet", sa.String(20), nullable=True),
    sa.Column("message_rejet", sa.Text, nullable=True),
    sa.Column("lignes_appliquees", sa.Integer, nullable=True),
    sa.Column("doublons", sa.Integer, nullable=True),
    sa.Column("quarantaine", sa.Integer, nullable=True),
    sa.Column("conflits", sa.Integer, nullable=True),
    sa.Column("nuit", sa.Date, nullable=False),  # the night whose run landed it
    sa.Column("chemin_staging", sa.Text, nullable=True),
    sa.Column("chemin_de_cote", sa.Text, nullable=True),
    sa.Column("recu_le", sa.DateTime(), nullable=False),
    sa.Column("traite_le", sa.DateTime(), nullable=True),
    sa.Column("jeton", sa.String(36), nullable=True),
    sa.Column("reclame_le", sa.DateTime(), nullable=True),
    sa.UniqueConstraint("nom", "sha256"),
    sa.Index(None, "flux", "date_fichier"),
    sa.Index(None, "statut"),
)


def _history_table(f: schemas.Flux) -> sa.Table:
    types = {"date": sa.Date, "integer": sa.BigInteger}
    cols = []
    for nom in f.colonnes:
        kind = "date" if nom in f.dates else "integer" if nom in f.entiers else "string"
        cols.append(sa.Column(nom, types.get(kind, sa.Text), nullable=True))
    return sa.Table(
        f.table_historique,
        metadata,
        sa.Column("fichier_id", sa.Integer, sa.ForeignKey("fichiers.id"), nullable=False),
        sa.Column("ligne", sa.Integer, nullable=False),
        *cols,
        sa.Index(None, "fichier_id"),
        sa.Index(None, *f.cle),
    )


historique: dict[str, sa.Table] = {f.nom: _history_table(f) for f in schemas.ENTRANTS}

quarantaine = sa.Table(
    "quarantaine",
    metadata,
    sa.Column("fichier_id", sa.Integer, sa.ForeignKey("fichiers.id"), nullable=False),
    sa.Column("ligne", sa.Integer, nullable=False),
    sa.Column("champ", sa.String(80), nullable=False),
    sa.Column("regle", sa.String(40), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Index(None, "fichier_id"),
)

quarantaine_contenu = sa.Table(
    "quarantaine_contenu",
    metadata,
    sa.Column("fichier_id", sa.Integer, sa.ForeignKey("fichiers.id"), nullable=False),
    sa.Column("ligne", sa.Integer, nullable=False),
    sa.Column("contenu", sa.Text, nullable=False),
    sa.Index(None, "fichier_id"),
)

flux_manquants = sa.Table(
    "flux_manquants",
    metadata,
    sa.Column("nuit", sa.Date, nullable=False),
    sa.Column("flux", sa.String(40), nullable=False),
    sa.Column("nom_attendu", sa.String(80), nullable=False),
    sa.Column("raison", sa.String(20), nullable=False),  # ABSENT, SANS_OK
    sa.PrimaryKeyConstraint("nuit", "flux"),
)

fichiers_ignores = sa.Table(
    "fichiers_ignores",
    metadata,
    sa.Column("nuit", sa.Date, nullable=False),
    sa.Column("nom", sa.String(255), nullable=False),
    sa.Column("raison", sa.String(20), nullable=False),  # NOM_INCONNU, DATE_FUTURE
    sa.PrimaryKeyConstraint("nuit", "nom"),
)

nuits = sa.Table(
    "nuits",
    metadata,
    sa.Column("nuit", sa.Date, primary_key=True),
    sa.Column("complete", sa.Boolean, nullable=False),
    sa.Column("emise", sa.Boolean, nullable=False),
    sa.Column("partielle_forcee", sa.Boolean, nullable=False),
    sa.Column("traitee_le", sa.DateTime(), nullable=False),
)

emissions = sa.Table(
    "emissions",
    metadata,
    sa.Column("flux", sa.String(40), nullable=False),
    sa.Column("nuit", sa.Date, nullable=False),
    sa.Column("cle", sa.Text, nullable=False),
    sa.Column("empreinte", sa.String(40), nullable=False),
    # What the stock reconciliation reads of the content sent (R2), as JSON text of the
    # record's key and traced columns (`pipelines.emission.COLONNES_TRACEES`): never a name,
    # a birth date or an address. Null for rows written before migration 0004.
    sa.Column("valeurs", sa.Text, nullable=True),
    # A record the upsert rule would not have sent, written again because the system's
    # stock showed it lacked that content (RULES.md R5: at most once per content).
    sa.Column("renvoi", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.PrimaryKeyConstraint("flux", "nuit", "cle"),
    sa.Index(None, "flux", "cle"),
)

# One row per (flow, night) whose emissions are being or have been written: `jeton` is null
# while the rows are written and a new random value once they are all there, so that a copy
# of the emissions made from the rows of some writes can tell whether they still stand
# (pipelines/cache_emissions.py). Every (flux, nuit) of `emissions` has its row here.
emissions_lots = sa.Table(
    "emissions_lots",
    metadata,
    sa.Column("flux", sa.String(40), nullable=False),
    sa.Column("nuit", sa.Date, nullable=False),
    sa.Column("lignes", sa.Integer, nullable=False),
    sa.Column("jeton", sa.String(32), nullable=True),
    sa.PrimaryKeyConstraint("flux", "nuit"),
)

signalements = sa.Table(
    "signalements",
    metadata,
    sa.Column("code", sa.String(40), nullable=False),
    sa.Column("nuit", sa.Date, nullable=False),
    sa.Column("cle", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("code", "nuit", "cle"),
    sa.Index(None, "code", "cle"),
)
