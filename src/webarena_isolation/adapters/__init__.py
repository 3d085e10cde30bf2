"""Ready ``--agent-cmd`` adapters for agents users already have.

- :mod:`.webarena_run`: WebArena's own ``run.py`` (one config file per task, its result dir).
- :mod:`.browsergym`: a BrowserGym/AgentLab agent on ``webarena.<id>`` with ``WA_*`` pointing
  at the task's own sites (runs :mod:`.agentlab_task` under the user's AgentLab interpreter).

Both follow the ``--agent-cmd`` protocol: they read ``WAI_*`` and the site variables the
harness sets, and leave ``answer.txt`` (and ``last_url.txt``) in ``WAI_RESULT_DIR``.
"""
