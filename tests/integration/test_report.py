"""The run report as a person sees it: index.html and render_<id>.html opened from disk in
headless Chromium (no server), screenshotted, and checked for the rows and images they hold."""

from __future__ import annotations

import json
import struct

from playwright.sync_api import sync_playwright
from typer.testing import CliRunner

from webarena_isolation.browser import launch_chromium
from webarena_isolation.cli import app

from .agents.scripted_model import ScriptedModel
from .test_llm_agent import INTENT, Agentscript, reddit_task


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_index_and_render_screenshots(client, tmp_path):
    source = tmp_path / "tasks.json"
    source.write_text(json.dumps([reddit_task(9201, INTENT)]))
    with ScriptedModel(Agentscript()) as model:
        result = CliRunner().invoke(
            app,
            ["run", "--tasks", "9201", "--task-source", str(source), "--api-base", model.url,
             "--model", "scripted-agent", "--results-dir", str(tmp_path / "r")],
            catch_exceptions=False,
        )
    assert result.exit_code == 0, result.output
    (run_dir,) = (tmp_path / "r").iterdir()
    task = json.loads((run_dir / "summary.json").read_text())["tasks"][0]
    assert task["agent"] == "llm"  # auto: --api-base was given

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            page.goto((run_dir / "index.html").as_uri())
            index_png = page.screenshot(path=str(tmp_path / "index.png"), full_page=True)
            rows = page.locator("tr.task")
            assert rows.count() == 1
            row = rows.first
            cells = [c.strip() for c in row.locator("td").all_inner_texts()]
            assert cells[0] == "9201" and cells[2] == "completed" and cells[3] == "1"
            assert "scripted-agent" in cells and str(task["steps"]) in cells
            assert f"reddit:{task['ports']['reddit']}" in row.inner_text()
            assert "evaluate" in row.inner_text() and "agent" in row.inner_text()
            for label in ("steps", "log", "result", "trace"):
                assert row.locator(f"a.{label}").count() == 1, label
            total = page.locator("p.total").inner_text()
            assert "1 tasks" in total and "score 1/1 scored" in total and "tokens" in total

            row.locator("a.steps").click()
            page.wait_for_load_state()
            assert page.url.endswith("task_9201/render_9201.html")
            render_png = page.screenshot(path=str(tmp_path / "render.png"), full_page=True)
            steps = page.locator("div.step")
            assert steps.count() == task["steps"]
            images = page.locator("div.step img")
            assert images.count() == task["steps"]
            widths = images.evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
            assert all(w > 0 for w in widths), widths  # every screenshot actually loads
            assert page.locator("pre.reply").count() >= task["steps"] - 1
            assert page.locator("p.answer").inner_text() == "Answer: It was greenthumb."
        finally:
            browser.close()
    for shot in (index_png, render_png):
        width, height = png_size(shot)
        assert width >= 1600 and height >= 300
