"""A tiny external agent for the --agent-cmd protocol: reads its task from WAI_CONFIG_FILE,
fetches its start page over HTTP on 127.0.0.1 and writes what it found to answer.txt."""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.request
from pathlib import Path


def main() -> int:
    config = json.loads(Path(os.environ["WAI_CONFIG_FILE"]).read_text(encoding="utf-8"))
    result_dir = Path(os.environ["WAI_RESULT_DIR"])
    start = config["start_url"].split(" |AND| ")[0]
    if not start.startswith("http://127.0.0.1:"):
        print(f"refusing a start page off this machine: {start}", file=sys.stderr)
        return 3
    with urllib.request.urlopen(start, timeout=10) as response:
        page = response.read().decode("utf-8")
        final_url = response.geturl()
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip()
    print(f"task {os.environ['WAI_TASK_ID']}: {final_url} is {title!r}")
    print(f"site variables: REDDIT={os.environ.get('REDDIT')} "
          f"WA_REDDIT={os.environ.get('WA_REDDIT')}")
    answer = title if "--wrong" not in sys.argv else "something else"
    (result_dir / "answer.txt").write_text(answer + "\n", encoding="utf-8")
    (result_dir / "last_url.txt").write_text(final_url + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
