"""Reading and writing the contract's CSV dialect (FLOWS.md, Dialect and Trigger files).

`;` separator, `"` quotes doubled inside values, `\\n` line ends (`\\r\\n` accepted on read),
one header row with exactly the contract's field names, empty value = null, and one encoding
and date format per system. A record is one physical line: the contract's values never hold a
line break, which is what lets one malformed line cost one row instead of the whole file.

Reading never goes through Python strings row by row: the file is decoded in one call, split
into lines by polars, the lines with the wrong number of fields are set apart with a
vectorised count, and the well-formed lines are parsed by polars' CSV reader, all as text.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from schemas.champs import parse_date, parse_entier
from schemas.contract import Flux

SEPARATEUR = ";"
LIGNE = "_ligne"  # 1-based line number in the file (the header is line 1)
_QUOTED = r'"(?:[^"]|"")*"'
_OK = re.compile(r"^sha256=(?P<sha>[0-9a-f]{64});rows=(?P<rows>[0-9]+)$")


class FichierRejete(Exception):
    """A file that cannot be read at all: rejected whole and set aside (FLOWS.md).

    `motif` is one of ENTETE, ENCODAGE, CHECKSUM, NB_LIGNES, OK_ILLISIBLE, FORMAT, SEUIL;
    `message` is for operators, in French, and never carries a value from the file.
    """

    def __init__(self, motif: str, message: str, ligne: int | None = None) -> None:
        super().__init__(message)
        self.motif = motif
        self.message = message
        self.ligne = ligne


@dataclass(frozen=True)
class Ok:
    """The content of a `.ok` trigger file."""

    sha256: str
    rows: int

    def render(self) -> bytes:
        return f"sha256={self.sha256};rows={self.rows}\n".encode()

    @staticmethod
    def parse(raw: bytes) -> Ok:
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise FichierRejete("OK_ILLISIBLE", "fichier .ok illisible (pas en UTF-8)") from exc
        m = _OK.match(text)
        if m is None:
            raise FichierRejete(
                "OK_ILLISIBLE", "fichier .ok illisible (attendu : sha256=<64 hex>;rows=<n>)"
            )
        return Ok(m["sha"], int(m["rows"]))

    @staticmethod
    def of(data: bytes, rows: int) -> Ok:
        return Ok(hashlib.sha256(data).hexdigest(), rows)


def _ligne_de_l_offset(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def decode(raw: bytes, flux: Flux) -> str:
    """The file's text, or FichierRejete(ENCODAGE) naming the first offending line."""
    if flux.encoding == "utf-8":
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            ligne = _ligne_de_l_offset(raw, exc.start)
            raise FichierRejete(
                "ENCODAGE", f"ligne {ligne} : octets invalides en UTF-8", ligne
            ) from exc
        if text.startswith("\ufeff"):
            raise FichierRejete("ENCODAGE", "ligne 1 : UTF-8 avec BOM (le contrat l'exclut)", 1)
        return text
    if flux.encoding == "iso-8859-1":
        # Every byte is a latin-1 character, so a wrong encoding must be recognised: text
        # with accents that is also valid UTF-8 was written in UTF-8, and bytes 0x80-0x9F are
        # Windows-1252 punctuation (œ, €, typographic quotes), not ISO-8859-1 text.
        c1 = re.search(rb"[\x80-\x9f]", raw)
        if c1 is not None:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                ligne = _ligne_de_l_offset(raw, c1.start())
                raise FichierRejete(
                    "ENCODAGE",
                    f"ligne {ligne} : caractère hors ISO-8859-1 (octet 0x80-0x9F, Windows-1252 ?)",
                    ligne,
                ) from None
        if re.search(rb"[\x80-\xff]", raw) is not None:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                first = re.search(rb"[\x80-\xff]", raw)
                ligne = _ligne_de_l_offset(raw, first.start() if first else 0)
                raise FichierRejete(
                    "ENCODAGE",
                    f"ligne {ligne} : texte encodé en UTF-8 au lieu de ISO-8859-1",
                    ligne,
                )
        return raw.decode("iso-8859-1")
    raise ValueError(f"encodage inconnu {flux.encoding}")


@dataclass(frozen=True)
class Lecture:
    """A file read as text: well-formed rows, and lines with the wrong number of fields."""

    lignes: pl.DataFrame  # LIGNE + the contract's columns, all pl.String, empty -> null
    mal_formees: pl.DataFrame  # LIGNE, nb_champs, contenu (the raw line, for the quarantine)

    @property
    def total(self) -> int:
        return self.lignes.height + self.mal_formees.height


def _lines(text: str) -> pl.DataFrame:
    body = text.replace("\r\n", "\n")
    if body.endswith("\n"):
        body = body[:-1]
    if body == "":
        return pl.DataFrame({"contenu": []}, schema={"contenu": pl.String})
    # One column of whole lines: a separator and no quote character that cannot occur.
    frame = pl.read_csv(
        io.StringIO(body + "\n"),
        has_header=False,
        separator="\x1f",
        quote_char=None,
        schema={"contenu": pl.String},
        infer_schema=False,
    )
    return frame.with_columns(pl.col("contenu").fill_null(""))


def lire(raw: bytes, flux: Flux) -> Lecture:
    """Decode and split a file of the flow; FichierRejete for an unreadable file.

    A file without any quote or carriage return (the usual case) is parsed in one pass by
    `_lire_sans_guillemets`; any other file, or one that path cannot vouch for, is split
    into lines first (`_lire_par_lignes`). Both give the same `Lecture`.
    """
    if b'"' not in raw and b"\r" not in raw:
        utf8 = _octets_utf8(raw, flux)
        if utf8 is not None:
            lecture = _lire_sans_guillemets(utf8, flux)
            if lecture is not None:
                return lecture
    return _lire_par_lignes(raw, flux)


_C1 = bytes(range(0x80, 0xA0))


def _octets_utf8(raw: bytes, flux: Flux) -> bytes | None:
    """The file in UTF-8 when it is plainly in its flow's encoding; None when `decode`
    must judge it (and reject it)."""
    if flux.encoding == "utf-8":
        # Polars checks the UTF-8 itself (an invalid file fails to parse and goes to
        # `decode`, which names the line); a BOM is refused there too.
        return None if raw.startswith(b"\xef\xbb\xbf") else raw
    if flux.encoding == "iso-8859-1":
        if raw.isascii():
            return raw
        if len(raw.translate(None, _C1)) != len(raw):
            return None  # Windows-1252 punctuation, or UTF-8 text: `decode` says which
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("iso-8859-1").encode("utf-8")
        return None  # accents that read as UTF-8: written in UTF-8, refused by `decode`
    return None


def _lire_sans_guillemets(utf8: bytes, flux: Flux) -> Lecture | None:
    """One pass of polars' CSV reader over a file without quotes nor carriage returns.

    Each line is then one row (no quoted value can span lines). A line with too many fields
    is truncated and one with too few padded with nulls, so the number of fields of each
    line is recovered from its length in bytes: the lengths of its parsed fields plus one
    separator between each two. The lines whose count is wrong are taken back from the
    bytes, as `_lire_par_lignes` gives them. None when the header is not the contract's or
    the bytes do not parse (not UTF-8): `_lire_par_lignes` then says why.
    """
    fin_entete = utf8.find(b"\n")
    if fin_entete < 0:
        fin_entete = len(utf8)
    if utf8[:fin_entete] != flux.header.encode("utf-8"):
        return None
    colonnes = flux.colonnes
    n = len(colonnes)
    fins = _fins_de_ligne(utf8, fin_entete + 1)
    debuts = np.concatenate(([fin_entete + 1], fins[:-1] + 1)).astype(np.int64)
    if len(fins) == 0:
        return Lecture(
            lignes=pl.DataFrame(schema={LIGNE: pl.Int64, **dict.fromkeys(colonnes, pl.String)}),
            mal_formees=pl.DataFrame(
                schema={LIGNE: pl.Int64, "nb_champs": pl.Int64, "contenu": pl.String}
            ),
        )
    try:
        parsed = pl.read_csv(
            utf8,
            has_header=False,
            skip_lines=1,
            separator=SEPARATEUR,
            quote_char=None,
            schema=dict.fromkeys(colonnes, pl.String),
            missing_columns="insert",
            extra_columns="ignore",
            truncate_ragged_lines=True,
            infer_schema=False,
        )
    except pl.exceptions.PolarsError:
        return None
    if parsed.height != len(fins):
        return None
    longueur_champs = pl.sum_horizontal(
        pl.col(c).str.len_bytes().fill_null(0).cast(pl.Int64) for c in colonnes
    )
    champs = pl.Series(fins - debuts, dtype=pl.Int64) - parsed.select(longueur_champs).to_series()
    bonne = (champs + 1 == n).to_numpy()
    lignes = parsed.with_row_index(LIGNE, offset=2).with_columns(pl.col(LIGNE).cast(pl.Int64))
    if not bonne.all():
        lignes = lignes.filter(pl.Series(bonne))
    return Lecture(lignes=lignes, mal_formees=_lignes_brutes(utf8, debuts, fins, ~bonne))


def _fins_de_ligne(data: bytes, debut: int) -> np.ndarray:
    """Where each line from `debut` on ends (its newline, or the end of the data), found a
    few MiB at a time: the scan stays in the processor's cache."""
    octets = np.frombuffer(data, dtype=np.uint8)
    morceau = 1 << 22
    fins = [
        np.flatnonzero(octets[i : i + morceau] == ord("\n")) + i
        for i in range(debut, len(octets), morceau)
    ]
    fins_ = np.concatenate(fins) if fins else np.zeros(0, dtype=np.int64)
    if len(data) > debut and data[-1:] != b"\n":
        fins_ = np.append(fins_, len(data))
    return fins_.astype(np.int64)


def _lignes_brutes(
    corps: bytes, debuts: np.ndarray, fins: np.ndarray, choisies: np.ndarray
) -> pl.DataFrame:
    """LIGNE, nb_champs, contenu of the chosen lines, taken from the bytes (no quotes)."""
    idx = np.flatnonzero(choisies)
    longueurs = (fins[idx] - debuts[idx]).astype(np.int64)
    offsets = np.concatenate(([0], np.cumsum(longueurs))).astype(np.int64)
    source = np.repeat(debuts[idx] - offsets[:-1], longueurs) + np.arange(offsets[-1])
    data = np.frombuffer(corps, dtype=np.uint8)[source]
    contenu = pa.LargeStringArray.from_buffers(
        len(idx), pa.py_buffer(offsets), pa.py_buffer(data.tobytes())
    )
    frame = pl.DataFrame(
        {
            LIGNE: pl.Series(idx + 2, dtype=pl.Int64),
            "contenu": pl.Series(contenu, dtype=pl.String),
        }
    )
    nb = (pl.col("contenu").str.count_matches(SEPARATEUR, literal=True) + 1).cast(pl.Int64)
    return frame.select(LIGNE, nb.alias("nb_champs"), "contenu").rechunk()


def _lire_par_lignes(raw: bytes, flux: Flux) -> Lecture:
    """`lire` for any file: split into lines first, each line parsed on its own."""
    text = decode(raw, flux)
    lines = _lines(text)
    if lines.height == 0 or lines["contenu"][0] != flux.header:
        raise FichierRejete(
            "ENTETE",
            f"ligne 1 : en-tête différent de celui du contrat ({len(flux.colonnes)} champs : "
            f"{flux.header})",
            1,
        )
    n = len(flux.colonnes)
    body = lines.slice(1).with_row_index(LIGNE, offset=2).with_columns(pl.col(LIGNE).cast(pl.Int64))
    contenu = pl.col("contenu")
    unquoted = contenu.str.replace_all(_QUOTED, "")
    body = body.with_columns(
        nb_champs=(unquoted.str.count_matches(SEPARATEUR, literal=True) + 1).cast(pl.Int64),
        guillemets_ok=(unquoted.str.count_matches('"', literal=True) == 0),
    )
    bonnes = body.filter((pl.col("nb_champs") == n) & pl.col("guillemets_ok"))
    # rechunk: polars 2.1's pl.format panics on a column filtered out of several chunks
    # (trier formats the quarantine message of these lines).
    mal_formees = (
        body.filter(~((pl.col("nb_champs") == n) & pl.col("guillemets_ok")))
        .select(LIGNE, "nb_champs", "contenu")
        .rechunk()
    )
    if bonnes.height == 0:
        parsed = pl.DataFrame(schema=dict.fromkeys(flux.colonnes, pl.String))
    else:
        parsed = pl.read_csv(
            io.BytesIO((bonnes["contenu"].str.join("\n").item() + "\n").encode()),
            has_header=False,
            separator=SEPARATEUR,
            quote_char='"',
            new_columns=flux.colonnes,
            schema=dict.fromkeys(flux.colonnes, pl.String),
            infer_schema=False,
        )
        if parsed.height != bonnes.height:
            raise FichierRejete("FORMAT", "structure CSV illisible (guillemets ?)")
    parsed = parsed.with_columns(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in flux.colonnes
    )
    lignes = pl.concat([bonnes.select(LIGNE), parsed], how="horizontal")
    return Lecture(lignes=lignes, mal_formees=mal_formees)


def typer(lignes: pl.LazyFrame | pl.DataFrame, flux: Flux) -> pl.LazyFrame:
    """Validated text rows to typed values: dates as pl.Date, integers as pl.Int64."""
    return lignes.lazy().with_columns(
        *(parse_date(pl.col(c), flux.date_format).alias(c) for c in flux.dates),
        *(parse_entier(pl.col(c)).alias(c) for c in flux.entiers),
    )


def ecrire(records: pl.DataFrame, flux: Flux) -> bytes:
    """Typed records to the bytes of a file in the flow's dialect, sorted by key.

    Raises UnicodeEncodeError (no personal value in its message is shown by callers) when a
    value cannot be written in a latin-1 system's encoding.
    """
    frame = records.select(flux.colonnes).sort(flux.cle, nulls_last=True, maintain_order=True)
    text = frame.write_csv(
        separator=SEPARATEUR,
        quote_char='"',
        quote_style="necessary",
        date_format=flux.date_format,
        null_value="",
        line_terminator="\n",
        include_header=True,
    )
    return text.encode(flux.encoding)
