"""`webarena-isolation images` and `images load` on the real engine, with tiny image tars made
here (an image FROM scratch holding one small file, saved with the SDK); and the catalog fields
the real images need (read-only data mounts, shm size) reaching a real container."""

from __future__ import annotations

import io
import json
import secrets
import tarfile
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest
from typer.testing import CliRunner

from webarena_isolation import image_tars
from webarena_isolation.catalog import load_catalog
from webarena_isolation.cli import app
from webarena_isolation.environment import Environment

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def build_tiny(client: docker.DockerClient, tag: str) -> str:
    """Build a one-file image FROM scratch (no pull needed); its content makes its id unique."""
    context = io.BytesIO()
    files = {
        "Dockerfile": b"FROM scratch\nCOPY marker.txt /marker.txt\n",
        "marker.txt": f"{tag}\n".encode(),
    }
    with tarfile.open(fileobj=context, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    context.seek(0)
    image, _ = client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True)
    return image.id


def save(client: docker.DockerClient, tag: str, path: Path) -> None:
    with path.open("wb") as handle:
        for chunk in client.images.get(tag).save(named=True):
            handle.write(chunk)


def remove(client: docker.DockerClient, tag: str) -> None:
    try:
        client.images.remove(tag, force=True)
    except docker.errors.ImageNotFound:
        pass


@pytest.fixture
def tiny(client, tmp_path) -> Iterator[dict[str, object]]:
    """A tiny image saved to DIR/<stem>.tar, untagged again, and a catalog that expects it."""
    suffix = secrets.token_hex(4)
    tag = f"wai-test-tiny-{suffix}:latest"
    stem = f"tiny-{suffix}"
    tars = tmp_path / "tars"
    tars.mkdir()
    catalog = tmp_path / "tiny.toml"
    catalog.write_text(
        f'extends = "demo"\nname = "tiny"\n[sites.map]\nimage = "{tag}"\n'
        f'load_hint = "docker load --input {stem}.tar"\n'
    )
    made = [tag]
    try:
        build_tiny(client, tag)
        yield {"tag": tag, "stem": stem, "tars": tars, "catalog": str(catalog), "made": made}
    finally:
        for name in made:
            remove(client, name)


def listing(catalog: str) -> dict[str, dict]:
    result = invoke("images", "--catalog", catalog, "--json")
    assert result.exit_code == 0, result.output
    return {row["image"]: row for row in json.loads(result.output)}


def test_images_lists_and_load_round_trips_a_tar(client, tiny):
    tag, tars = tiny["tag"], tiny["tars"]
    save(client, tag, tars / f"{tiny['stem']}.tar")
    (tars / "unrelated.tar").write_bytes(b"not a catalog tar")
    remove(client, tag)

    before = listing(tiny["catalog"])
    assert before[tag]["loaded"] is False and before[tag]["kinds"] == ["map"]
    assert before[tag]["load_hint"] == f"docker load --input {tiny['stem']}.tar"
    assert before["webarena-isolation-standin:latest"]["loaded"] is True

    result = invoke("images", "load", str(tars), "--catalog", tiny["catalog"])
    assert result.exit_code == 0, result.output
    assert f"loaded {tag}" in result.output
    assert "unrelated.tar: no site of catalog" in result.output
    assert tag in client.images.get(tag).tags

    after = listing(tiny["catalog"])
    assert after[tag]["loaded"] is True and after[tag]["size_bytes"] > 0

    again = invoke("images", "load", str(tars), "--catalog", tiny["catalog"])
    assert again.exit_code == 0 and "already loaded; skipped" in again.output


def test_a_tar_without_the_expected_tag_is_an_error_naming_both(client, tiny):
    other = f"wai-test-other-{tiny['stem'][5:]}:latest"
    tiny["made"].append(other)  # type: ignore[attr-defined]
    build_tiny(client, other)
    tar = tiny["tars"] / f"{tiny['stem']}.tar"
    save(client, other, tar)
    remove(client, other)
    remove(client, tiny["tag"])

    result = invoke("images", "load", str(tiny["tars"]), "--catalog", tiny["catalog"])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert f"{tar.name} did not provide {tiny['tag']}" in text
    assert f"it held: {other}" in text
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(tiny["tag"])


def test_load_refuses_when_free_disk_is_under_twice_the_tar(client, tiny, monkeypatch):
    tar = tiny["tars"] / f"{tiny['stem']}.tar"
    save(client, tiny["tag"], tar)
    remove(client, tiny["tag"])
    size = tar.stat().st_size
    monkeypatch.setattr(image_tars, "free_bytes", lambda path: 2 * size - 1)

    result = invoke("images", "load", str(tiny["tars"]), "--catalog", tiny["catalog"])
    assert result.exit_code == 1, result.output
    assert f"not loading {tar.name}" in " ".join(result.output.split())
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(tiny["tag"])

    monkeypatch.setattr(image_tars, "free_bytes", lambda path: 2 * size)
    assert invoke("images", "load", str(tiny["tars"]), "--catalog", tiny["catalog"]).exit_code == 0
    assert client.images.get(tiny["tag"])


def test_load_of_a_folder_without_tars_says_so(tmp_path):
    result = invoke("images", "load", str(tmp_path))
    assert result.exit_code == 1
    assert "no image tars" in result.output


def test_catalog_mounts_and_shm_size_reach_the_container(client, run_id, tmp_path, monkeypatch):
    # What the kiwix and GitLab entries need: a read-only data folder named by an environment
    # variable, and a bigger /dev/shm.
    data = tmp_path / "zim"
    data.mkdir()
    (data / "wikipedia_en_all_maxi_2022-05.zim").write_text("stand-in zim\n")
    monkeypatch.setenv("WAI_TEST_ZIM_DIR", str(data))
    catalog_file = tmp_path / "mounts.toml"
    catalog_file.write_text(
        'extends = "demo"\n[sites.wikipedia]\nshm_size_mb = 96\n'
        'mounts = [{ source = "${WAI_TEST_ZIM_DIR}", target = "/data", read_only = true }]\n'
    )
    spec = load_catalog(str(catalog_file)).site("wikipedia")
    with Environment(client, task_id=8, specs=[spec], run_id=run_id) as environment:
        container = environment.sites["wikipedia"].container
        code, out = container.exec_run(["cat", "/data/wikipedia_en_all_maxi_2022-05.zim"])
        assert (code, out) == (0, b"stand-in zim\n")
        code, out = container.exec_run(["touch", "/data/written"])
        assert code != 0 and b"Read-only file system" in out
        assert container.attrs["HostConfig"]["ShmSize"] == 96 * 2**20
    assert not (data / "written").exists()
