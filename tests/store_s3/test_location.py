"""A snapshot's path: a local directory as before, an object-store URL, or a clear error."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import fsspec
import pytest

from cvframe import ConfigurationError
from cvframe._store._location import snapshot_location
from tests.s3server import SECRET_KEY

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize("given", ["history", "data/history", "/srv/cv/history", "C:/cv"])
def test_a_local_path_stays_a_local_path(given: str) -> None:
    for path in (given, Path(given)):
        location = snapshot_location(path)
        assert location.is_local
        assert location.filesystem is None
        assert location.local_path == Path(given)
        assert location.url == str(Path(given)) if isinstance(path, Path) else given


def test_a_file_url_is_the_local_directory() -> None:
    location = snapshot_location("file:///srv/cv/history")
    assert location.is_local
    assert location.local_path == Path("/srv/cv/history")


def test_an_object_store_location_has_no_local_path(memory_url: str) -> None:
    location = snapshot_location(memory_url)
    assert not location.is_local
    with pytest.raises(ValueError, match="object store"):
        location.local_path  # noqa: B018


@pytest.mark.parametrize(
    "given",
    [
        Path("s3://bucket/history"),  # pathlib folded '//' into '/': 's3:/bucket/history'
        "s3:/bucket/history",
        "s3:bucket/history",
        "gs:/bucket/history",
        "memory:/history",
    ],
)
def test_a_url_that_lost_its_slashes_is_refused_not_a_local_folder(
    given: str | Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"lost its '//'.*pass the URL as a str"):
        snapshot_location(given)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("given", ["ftp://host/history", "http://host/x", "hdfs://nn/x"])
def test_an_unknown_scheme_is_refused_naming_the_supported_ones(given: str) -> None:
    with pytest.raises(ValueError, match=r"s3://, gs://, abfs://, memory://") as info:
        snapshot_location(given)
    assert not isinstance(info.value, ConfigurationError)
    assert given in str(info.value)


def test_a_scheme_whose_package_is_missing_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(protocol: str) -> Any:
        raise ImportError(f"Install the package for {protocol}")

    monkeypatch.setattr(fsspec, "get_filesystem_class", missing)
    for url, install in [
        ("s3://bucket/h", "cvframe[s3]"),
        ("gs://bucket/h", "cvframe[gcs]"),
        ("abfs://container/h", "cvframe[azure]"),
    ]:
        with pytest.raises(ConfigurationError, match=install.replace("[", r"\[")) as info:
            snapshot_location(url)
        assert url in str(info.value)


def test_gcs_without_gcsfs_is_a_configuration_error() -> None:
    try:
        import gcsfs  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigurationError, match=r"pip install 'cvframe\[gcs\]'"):
            snapshot_location("gs://bucket/history")
    else:  # pragma: no cover - gcsfs installed
        pytest.skip("gcsfs is installed")


@pytest.mark.parametrize("given", ["s3://", "s3:///history", "memory://"])
def test_a_url_without_a_bucket_is_refused(given: str) -> None:
    with pytest.raises(ValueError, match="names no bucket"):
        snapshot_location(given)


def test_credentials_in_the_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ValueError, match="must not carry credentials") as info:
        snapshot_location(f"s3://AKIAEXAMPLE:{SECRET}@bucket/history")
    assert SECRET not in str(info.value)


def test_storage_options_with_a_local_path_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="storage_options only apply"):
        snapshot_location(tmp_path, {"key": "k", "secret": SECRET})


def test_the_location_never_shows_a_credential(memory_url: str) -> None:
    options = {
        "secret": SECRET,
        "client_kwargs": {"region_name": "eu-west-1", "aws_session_token": SECRET[::-1]},
        "endpoint_url": "http://127.0.0.1:9000",
    }
    location = snapshot_location(memory_url, options)
    for text in (repr(location), str(location), location.url):
        assert SECRET not in text
        assert SECRET[::-1] not in text
    message = f"denied: secret={SECRET!r} token={SECRET[::-1]} at http://127.0.0.1:9000 eu-west-1"
    shown = location.redact(message)
    assert SECRET not in shown
    assert SECRET[::-1] not in shown
    assert SECRET[:20] not in location.redact(f"cut off: {SECRET[:20]}")
    # What is not a credential stays readable.
    assert "http://127.0.0.1:9000" in shown
    assert "eu-west-1" in shown


def test_an_s3_url_reaches_the_bucket_with_the_storage_options(
    s3_url: str, s3_options: dict[str, Any]
) -> None:
    location = snapshot_location(s3_url + "/", s3_options)
    assert location.protocol == "s3"
    assert location.url == s3_url
    assert location.root == s3_url.removeprefix("s3://")
    location.filesystem.pipe_file(location.child("probe.txt"), b"hello")
    assert location.filesystem.cat_file(location.child("probe.txt")) == b"hello"
    assert location.child_url("probe.txt") == s3_url + "/probe.txt"
    # Another machine's writes must show up in the next listing: no listing cache.
    assert location.filesystem.dircache.use_listings_cache is False
    assert SECRET_KEY not in repr(location)
    assert location.redact(f"key {SECRET_KEY}") == "key **********"


def test_a_memory_url_is_rooted_in_the_memory_filesystem(memory_url: str) -> None:
    location = snapshot_location(memory_url)
    assert location.protocol == "memory"
    assert location.root == "/" + memory_url.removeprefix("memory://")
    location.filesystem.pipe_file(location.child("x"), b"1")
    assert fsspec.filesystem("memory").cat_file(location.child("x")) == b"1"


def test_a_path_like_whose_text_is_a_url_is_that_url() -> None:
    class ObjectStorePath(os.PathLike[str]):
        def __fspath__(self) -> str:
            return "memory://bucket/history"

    location = snapshot_location(ObjectStorePath())
    assert not location.is_local
    assert location.url == "memory://bucket/history"


def test_a_path_like_that_is_not_text_is_refused() -> None:
    class BytesPath(os.PathLike[bytes]):
        def __fspath__(self) -> bytes:
            return b"/srv/history"

    with pytest.raises(TypeError, match=r"str or os\.PathLike"):
        snapshot_location(BytesPath())  # type: ignore[arg-type]
