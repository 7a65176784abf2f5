"""Where a snapshot lives: a local directory or an object-store URL, and how to reach it.

:func:`snapshot_location` turns what a user passes as ``path`` (a ``str``, an
``os.PathLike`` or a URL such as ``s3://bucket/history``) plus ``storage_options``
into a :class:`SnapshotLocation`: the filesystem, the dataset's root inside it, and
the text messages show for it (never a credential).

Why fsspec (with s3fs, gcsfs, adlfs) and not ``pyarrow.fs``:

- pandas' own readers and writers take a URL plus ``storage_options`` and hand both to
  fsspec; a user who reads Parquet from S3 with pandas already has the right options,
  with the same keys (``key``, ``secret``, ``endpoint_url``, ``client_kwargs``...);
- ``pyarrow.dataset`` reads through an fsspec filesystem as it is (pyarrow wraps it in
  ``PyFileSystem(FSSpecHandler(fs))``), so filters still prune the day partitions;
- Dask, DuckDB and polars reach the same URLs through fsspec too;
- the lease (:mod:`._lease`) needs conditional writes (``If-None-Match: *``,
  ``If-Match``), which ``pyarrow.fs`` cannot send; s3fs hands any ``put_object``
  argument to the S3 API, with the credentials and endpoint of the same options;
- ``pyarrow.fs.S3FileSystem`` would be a second set of option names for the same
  thing, and it has no GCS generation preconditions either.

Local paths stay exactly what they were: a :class:`pathlib.Path` and the local code
(``os.replace``, ``flock``), with no fsspec involved. A string that looks like a URL
is never taken for a local path: ``pathlib`` would fold ``s3://bucket`` into a local
folder named ``s3:``. An unknown scheme, or a known one whose package is missing, is
a clear error saying what to install.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import ConfigurationError
from .._redact import redact

__all__ = [
    "OBJECT_STORE_SCHEMES",
    "SnapshotLocation",
    "snapshot_location",
]

#: The URL schemes a snapshot can live under, and the package each needs (``None``:
#: fsspec itself). Aliases are the ones fsspec knows for the same store.
OBJECT_STORE_SCHEMES: dict[str, str | None] = {
    "s3": "s3fs",
    "s3a": "s3fs",
    "gs": "gcsfs",
    "gcs": "gcsfs",
    "abfs": "adlfs",
    "abfss": "adlfs",
    "az": "adlfs",
    "memory": None,
}
#: The cvframe extra that installs each package.
_EXTRAS = {"s3fs": "s3", "gcsfs": "gcs", "adlfs": "azure"}
#: Stores whose filesystem caches directory listings: the cache is turned off, because
#: another machine's sync changes the listing behind this process's back.
_LISTING_CACHE_OPTION = "use_listings_cache"
#: ``storage_options`` keys whose values are not secrets (shown in messages as they
#: are). Every other string value, at any depth, is treated as a credential and masked:
#: an unknown key is a secret until said otherwise.
_NOT_SECRET = frozenset(
    {
        "endpoint_url",
        "region_name",
        "region",
        "anon",
        "use_ssl",
        "requester_pays",
        "default_block_size",
        "default_fill_cache",
        "version_aware",
        "project",
        "account_name",
        "consistency",
        "cache_regions",
        "use_listings_cache",
        "listings_expiry_time",
        "skip_instance_cache",
        "signature_version",
        "addressing_style",
        "profile",
    }
)
#: ``scheme://``: at least two letters, so a Windows drive (``C:\\``) is no scheme.
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]+)://(?P<rest>.*)$", re.DOTALL)
#: ``s3:/bucket`` or ``s3:bucket``: a known scheme whose ``//`` was lost (pathlib folds
#: ``//`` into ``/``, so ``Path("s3://b")`` arrives as ``s3:/b``).
_BROKEN_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]+):(?!//)")


@dataclass(frozen=True)
class SnapshotLocation:
    """A snapshot dataset's place: a local directory, or a root inside an object store.

    Attributes
    ----------
    url : str
        What messages and reprs show: the local path, or the URL as given (without a
        trailing ``/``). Never holds a credential.
    protocol : str
        ``"file"`` for a local directory, else the URL's scheme (``"s3"``, ``"memory"``...).
    root : str
        The dataset's root inside ``filesystem`` (``"bucket/history"`` for
        ``s3://bucket/history``); the local path as text for a local directory.
    filesystem : fsspec.AbstractFileSystem or None
        The fsspec filesystem of an object store; ``None`` for a local directory, which
        keeps using :mod:`pathlib` and ``os`` directly.
    """

    url: str
    protocol: str
    root: str
    filesystem: Any = field(default=None, repr=False, compare=False)
    _secrets: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def is_local(self) -> bool:
        """Whether the dataset is a local directory (pathlib, ``os.replace``, ``flock``)."""
        return self.filesystem is None

    @property
    def local_path(self) -> Path:
        """The local directory; a ``ValueError`` for an object store."""
        if not self.is_local:
            raise ValueError(f"{self.url} is in an object store, not a local directory")
        return Path(self.root)

    def child(self, *parts: str) -> str:
        """The filesystem path of ``parts`` under the root (``bucket/history/date=.../x``)."""
        return "/".join([self.root.rstrip("/"), *parts]) if parts else self.root

    def child_url(self, *parts: str) -> str:
        """The display URL of ``parts`` under the root, for messages."""
        return "/".join([self.url.rstrip("/"), *parts]) if parts else self.url

    def redact(self, text: str) -> str:
        """``text`` with every credential of ``storage_options`` masked, in any spelling."""
        return redact(text, self._secrets)

    def __str__(self) -> str:
        return self.url


def _secret_values(options: Any, key: str | None = None) -> Iterator[str]:
    """Every string in ``options`` (nested mappings and sequences too) not under a known
    non-secret key."""
    if isinstance(options, Mapping):
        for name, value in options.items():
            yield from _secret_values(value, str(name))
    elif isinstance(options, list | tuple | set | frozenset):
        for value in options:
            yield from _secret_values(value, key)
    elif isinstance(options, str) and options and key not in _NOT_SECRET:
        yield options
    elif isinstance(options, bytes) and options and key not in _NOT_SECRET:
        yield options.decode("utf-8", "replace")


def _check_no_userinfo(scheme: str, rest: str, given: str) -> None:
    """Refuse ``s3://KEY:SECRET@bucket``: credentials go in storage_options, never a URL
    (a URL is shown in messages)."""
    netloc = rest.split("/", 1)[0]
    if "@" in netloc and ":" in netloc.split("@", 1)[0]:
        raise ValueError(
            f"path: a {scheme}:// URL must not carry credentials (user:password@); "
            "pass them in storage_options instead"
        )
    if "?" in rest or "#" in rest:
        shown = given if "@" not in netloc else f"{scheme}://..."
        raise ValueError(
            f"path: {shown!r} has a query or fragment; a snapshot URL is "
            f"{scheme}://bucket/prefix, with options in storage_options"
        )


def _fsspec_for(scheme: str, package: str | None, given: str) -> Any:
    """The ``fsspec`` module, once the scheme's package is known to import; a
    ConfigurationError saying what to install if not."""
    extra = _EXTRAS.get(package or "")
    try:
        import fsspec
        import fsspec.core
    except ImportError:
        raise ConfigurationError(
            f"path: {given} is a {scheme}:// URL, which needs fsspec: pip install "
            + (f"'cvframe[{extra}]'" if extra else "fsspec")
        ) from None
    try:
        fsspec.get_filesystem_class(scheme)
    except (ImportError, ValueError):
        raise ConfigurationError(
            f"path: {given} is a {scheme}:// URL, which needs the {package} package: "
            f"pip install 'cvframe[{extra}]' (or pip install {package})"
        ) from None
    return fsspec


def snapshot_location(
    path: str | os.PathLike[str], storage_options: Mapping[str, Any] | None = None
) -> SnapshotLocation:
    """Resolve a snapshot's ``path`` (and ``storage_options``) into a :class:`SnapshotLocation`.

    A ``str`` with a scheme (``s3://``, ``gs://``, ``abfs://``, ``memory://``) is an
    object-store URL; anything else is a local directory, exactly as before. An unknown
    scheme, a known scheme without ``//`` and ``storage_options`` with a local path are
    ``ValueError``; a scheme whose package is not installed is a
    :class:`~cvframe.ConfigurationError` saying what to install. No message ever holds a
    credential from ``storage_options``.

    >>> snapshot_location("history").is_local
    True
    >>> location = snapshot_location("memory://bucket/history/", {"secret": "s3cr3t-v4lue"})
    >>> location
    SnapshotLocation(url='memory://bucket/history', protocol='memory', root='/bucket/history')
    >>> location.redact("denied for s3cr3t-v4lue")
    'denied for **********'
    >>> snapshot_location("ftp://host/history")
    Traceback (most recent call last):
    ...
    ValueError: path: 'ftp://host/history' has the URL scheme ftp://, which snapshots do not support; use a local path or one of s3://, gs://, abfs://, memory:// (aliases: s3a, gcs, abfss, az)
    """  # noqa: E501
    options = dict(storage_options or {})
    # A path-like object's text is read the same way: a pathlib.Path never holds '//'
    # after a scheme (it folds them), but a path type of another library may be a URL.
    given = path if isinstance(path, str) else os.fspath(path)
    if not isinstance(given, str):
        raise TypeError(f"path must be a str or os.PathLike[str], got {type(path).__name__}")
    url = _URL.match(given)
    if url is None:
        broken = _BROKEN_URL.match(given)
        if broken and broken["scheme"].lower() in OBJECT_STORE_SCHEMES | {"file": None}:
            scheme = broken["scheme"].lower()
            raise ValueError(
                f"path: {given!r} looks like a {scheme}:// URL that lost its '//' "
                f"(a pathlib.Path folds '//' into '/'); pass the URL as a str: "
                f"'{scheme}://...'"
            )
        if options:
            raise ValueError(
                "storage_options only apply to an object-store URL "
                f"(s3://, gs://, abfs://, memory://), not to the local path {given!r}"
            )
        return SnapshotLocation(url=given, protocol="file", root=given)

    scheme = url["scheme"].lower()
    rest = url["rest"]
    if scheme == "file":
        # file:///srv/history is the local directory /srv/history, as in pandas.
        host, _, local = rest.partition("/")
        if host not in {"", "localhost"}:
            raise ValueError(f"path: {given!r} names a host; a file:// URL is file:///path")
        if options:
            raise ValueError(f"storage_options only apply to an object-store URL, not to {given!r}")
        return SnapshotLocation(url="/" + local, protocol="file", root="/" + local)
    if scheme not in OBJECT_STORE_SCHEMES:
        raise ValueError(
            f"path: {given!r} has the URL scheme {scheme}://, which snapshots do not "
            "support; use a local path or one of s3://, gs://, abfs://, memory:// "
            "(aliases: s3a, gcs, abfss, az)"
        )
    _check_no_userinfo(scheme, rest, given)
    bucket = rest.strip("/") if scheme == "memory" else rest.split("/", 1)[0]
    if not bucket:
        raise ValueError(f"path: {given!r} names no bucket; write {scheme}://bucket/prefix")
    package = OBJECT_STORE_SCHEMES[scheme]
    fsspec = _fsspec_for(scheme, package, given)
    secrets = tuple(sorted(set(_secret_values(options)), key=len, reverse=True))
    if scheme != "memory":
        options.setdefault(_LISTING_CACHE_OPTION, False)
    try:
        filesystem, root = fsspec.core.url_to_fs(f"{scheme}://{rest}", **options)
    except (TypeError, ValueError) as exc:
        message = redact(str(exc), secrets)
        raise ValueError(f"storage_options for {given}: {message}") from None
    shown = f"{scheme}://{rest.rstrip('/')}" if rest.rstrip("/") else given
    return SnapshotLocation(
        url=shown,
        protocol=scheme,
        root=str(root).rstrip("/") or str(root),
        filesystem=filesystem,
        _secrets=secrets,
    )
